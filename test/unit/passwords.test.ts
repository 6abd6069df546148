// Bounded password hashing (issue #10.5): a few hashes at once, a bounded queue behind them, HashingBusyError beyond.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HashingBusyError, argon2Hasher, hashingSlots, limiter, threadPoolSize } from '../../src/crypto/passwords.js';
import { loadConfig } from '../../src/config.js';

const PARAMS = { memoryKiB: 19_456, timeCost: 2, parallelism: 1 };

/** A task that finishes when told to. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, task: () => opened.then(() => 'done') };
}

describe('hashing slots', () => {
  it('are the cores plus one, but leave a pool thread free so file I/O never waits behind a hash', () => {
    assert.equal(hashingSlots(2, 4), 3);
    assert.equal(hashingSlots(1, 4), 2);
    assert.equal(hashingSlots(8, 4), 3);
    assert.equal(hashingSlots(8, 16), 9);
    assert.equal(hashingSlots(2, 1), 1);
  });

  it('read the pool size libuv reads: UV_THREADPOOL_SIZE, 4 when unset or not a positive number, at most 1024', () => {
    assert.equal(threadPoolSize({}), 4);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '12' }), 12);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: 'lots' }), 4);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '0' }), 4);
    assert.equal(threadPoolSize({ UV_THREADPOOL_SIZE: '5000' }), 1024);
  });
});

describe('limiter', () => {
  it('runs `limit` tasks, queues `maxQueue` more, rejects the rest at once with HashingBusyError', async () => {
    const limit = limiter(2, 3);
    const g = gate();
    const settled = Array.from({ length: 8 }, () =>
      limit(g.task).then(
        (v) => v,
        (e: unknown) => e,
      ),
    );
    // The 6th, 7th and 8th are refused before anything finishes.
    const refused = await Promise.race([Promise.all(settled.slice(5)), new Promise((r) => setTimeout(() => r('timeout'), 200))]);
    assert.ok(Array.isArray(refused), 'refused at once');
    for (const e of refused as unknown[]) assert.ok(e instanceof HashingBusyError);
    g.open();
    assert.deepEqual(await Promise.all(settled.slice(0, 5)), ['done', 'done', 'done', 'done', 'done']);
  });

  it('never runs more than `limit` at once, and a freed slot goes to the first waiter (arrival order)', async () => {
    const limit = limiter(2, 100);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limit(async () => {
          order.push(i);
          peak = Math.max(peak, ++running);
          await new Promise((r) => setTimeout(r, 2));
          running--;
        }),
      ),
    );
    assert.equal(peak, 2);
    assert.deepEqual(order, [...Array(20).keys()]);
  });

  it('after a flood, the queue drains and new work is accepted again', async () => {
    const limit = limiter(1, 0);
    const g = gate();
    const first = limit(g.task);
    await assert.rejects(limit(g.task), HashingBusyError);
    g.open();
    assert.equal(await first, 'done');
    assert.equal(await limit(async () => 'again'), 'again');
  });

  it('a failing task frees its slot', async () => {
    const limit = limiter(1, 1);
    await assert.rejects(
      limit(async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await limit(async () => 'ok'), 'ok');
  });
});

describe('argon2Hasher with a tiny queue', () => {
  it('concurrent hashes beyond one running and one waiting get HashingBusyError; the others succeed', async () => {
    const hasher = argon2Hasher({ ...PARAMS, maxQueue: 1 }, 1);
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => hasher.hash(`password-${i}`)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected'],
    );
    for (const r of results.slice(2)) assert.ok((r as PromiseRejectedResult).reason instanceof HashingBusyError);
    const hash = (results[0] as PromiseFulfilledResult<string>).value;
    assert.equal(await hasher.verify(hash, 'password-0'), true);
  });

  it('verify and verifyNothing share the bound: unknown and known logins are refused alike', async () => {
    const hasher = argon2Hasher({ ...PARAMS, maxQueue: 0 }, 1);
    const hash = await hasher.hash('pw');
    const [known, unknown, known2] = await Promise.allSettled([
      hasher.verify(hash, 'pw'),
      hasher.verifyNothing('pw'),
      hasher.verify(hash, 'x'),
    ]);
    assert.equal(known.status, 'fulfilled');
    assert.equal(unknown.status, 'rejected');
    assert.equal(known2.status, 'rejected');
    assert.ok((unknown as PromiseRejectedResult).reason instanceof HashingBusyError);
    // verifyNothing alone, with the slot free, costs a verify and resolves.
    await hasher.verifyNothing('pw');
    const [nothing, verify] = await Promise.allSettled([hasher.verifyNothing('a'), hasher.verify(hash, 'pw')]);
    assert.equal(nothing.status, 'fulfilled');
    assert.ok(verify.status === 'rejected' && verify.reason instanceof HashingBusyError);
  });
});

describe('ARGON2_MAX_QUEUE', () => {
  it('defaults to 64; 0 is allowed (no waiting), negative or non-numbers are refused', () => {
    assert.equal(loadConfig({}).ARGON2_MAX_QUEUE, 64);
    assert.equal(loadConfig({ ARGON2_MAX_QUEUE: '0' }).ARGON2_MAX_QUEUE, 0);
    assert.throws(() => loadConfig({ ARGON2_MAX_QUEUE: '-1' }), /ARGON2_MAX_QUEUE/);
    assert.throws(() => loadConfig({ ARGON2_MAX_QUEUE: 'many' }), /ARGON2_MAX_QUEUE/);
  });
});
