// Group commit: appends in flight together share a write and an fdatasync; each is acknowledged only once durable;
// expected revisions stay exact inside a batch.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConcurrencyError } from '../../src/store/port.js';
import { all, event, Fixture, ns } from './helpers.js';

describe('embedded log group commit', () => {
  const fx = new Fixture();
  afterEach(() => fx.cleanup());

  it('writes 64 appends in flight in a few writes, each acknowledged, all in call order', async () => {
    const dir = await fx.dir();
    const store = await fx.open(dir);
    const results = await Promise.all(Array.from({ length: 64 }, (_, n) => store.append(`s${n}`, [event({ n })], 'no_stream')));
    assert.deepEqual(
      results.map((r) => r.position.commit),
      Array.from({ length: 64 }, (_, n) => BigInt(n + 1)),
    );
    assert.ok(store.stats.writes <= 4, `64 appends took ${store.stats.writes} writes`);
    await store.close();
    assert.deepEqual(
      await ns(await fx.open(dir)),
      Array.from({ length: 64 }, (_, n) => n),
    );
  });

  it('gives appends made one after another a write each (no waiting for company)', async () => {
    const store = await fx.open(await fx.dir());
    for (let n = 0; n < 5; n++) await store.append('s', [event({ n })], 'any');
    assert.equal(store.stats.writes, 5);
  });

  it('checks expected revisions exactly within a batch: the second append to a stream sees the first', async () => {
    const store = await fx.open(await fx.dir());
    const chain = await Promise.all([
      store.append('a', [event({ n: 0 })], 'no_stream'),
      store.append('a', [event({ n: 1 }), event({ n: 2 })], 0n),
      store.append('a', [event({ n: 3 })], 2n),
      store.append('a', [event({ n: 4 })], 'stream_exists'),
    ]);
    assert.deepEqual(
      chain.map((r) => r.nextExpectedRevision),
      [0n, 2n, 3n, 4n],
    );
    assert.equal(store.stats.writes, 1);

    const raced = await Promise.allSettled([
      store.append('b', [event()], 'no_stream'),
      store.append('b', [event()], 'no_stream'),
      store.append('b', [event()], 5n),
      store.append('c', [event()], 0n),
    ]);
    assert.equal(raced[0]!.status, 'fulfilled');
    for (const [i, actual] of [
      [1, 0n],
      [2, 0n],
      [3, 'no_stream'],
    ] as const) {
      const outcome = raced[i]!;
      assert.ok(outcome.status === 'rejected' && outcome.reason instanceof ConcurrencyError, `append ${i} is refused`);
      assert.equal(outcome.reason.actual, actual);
    }
    assert.deepEqual(
      (await store.readStream('a')).map((e) => e.data['n']),
      [0, 1, 2, 3, 4],
    );
    assert.equal((await store.readStream('b')).length, 1);
  });

  it('reports a refusal that depends on an append in flight only after that append is durable', async () => {
    const store = await fx.open(await fx.dir());
    const settled: string[] = [];
    const first = store.append('s', [event()], 'no_stream').then(() => settled.push('first'));
    const second = store.append('s', [event()], 'no_stream').catch(() => settled.push('second refused'));
    await Promise.all([first, second]);
    assert.deepEqual(settled, ['first', 'second refused']);
  });

  it('shows readers an append only once it is acknowledged', async () => {
    const store = await fx.open(await fx.dir());
    const appending = store.append('s', [event({ n: 0 })], 'no_stream');
    assert.deepEqual(await store.readStream('s'), [], 'not durable yet, so not visible');
    await appending;
    assert.equal((await store.readStream('s')).length, 1);
  });

  it('keeps the events as they were when append was called', async () => {
    const store = await fx.open(await fx.dir());
    const data = { n: 1 };
    const appending = store.append('s', [event(data)], 'no_stream');
    data.n = 2;
    await appending;
    assert.deepEqual((await store.readStream('s'))[0]!.data, { n: 1 });
  });

  it('refuses appends it cannot encode without disturbing the others in the batch', async () => {
    const store = await fx.open(await fx.dir());
    const outcomes = await Promise.allSettled([
      store.append('s', [event({ n: 0 })], 'no_stream'),
      store.append('s', [event({ bad: 1n })], 0n),
      store.append('x'.repeat(70_000), [event()], 'any'),
      store.append('s', [event({ n: 1 })], 0n),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(
      (await store.readStream('s')).map((e) => e.data['n']),
      [0, 1],
    );
  });

  it('loses no acknowledged append when the process is killed mid-stream (kill -9)', async () => {
    const dir = await fx.dir();
    const storeModule = fileURLToPath(new URL('../../src/store/embedded.ts', import.meta.url));
    // 16 writers, each appending to its own stream, printing every acknowledged append.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { openEmbeddedEventStore } = await import(${JSON.stringify(storeModule)});
         const store = await openEmbeddedEventStore(${JSON.stringify(dir)}, { warn: () => {} });
         await Promise.all(Array.from({ length: 16 }, async (_, w) => {
           for (let r = 0; ; r++) {
             const { position } = await store.append('w' + w, [{ id: crypto.randomUUID(), type: 'T', data: { w, r } }], r === 0 ? 'no_stream' : BigInt(r - 1));
             process.stdout.write('ack ' + w + ' ' + r + ' ' + position.commit + '\\n');
           }
         }));`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.split('\n').length > 400) child.kill('SIGKILL');
    });
    await once(child, 'exit');
    const acked = out
      .split('\n')
      .filter((line) => /^ack \d+ \d+ \d+$/.test(line))
      .map((line) => line.split(' ').slice(1).map(Number));
    assert.ok(acked.length >= 400, `${acked.length} acknowledged appends`);

    const store = await fx.open(dir);
    const byPosition = new Map((await all(store)).map((e) => [Number(e.position.commit), e]));
    for (const [w, r, position] of acked) {
      const e = byPosition.get(position!);
      assert.ok(e, `acknowledged position ${position} is in the log`);
      assert.equal(e.streamId, `w${w}`);
      assert.equal(e.revision, BigInt(r!));
    }
  });
});
