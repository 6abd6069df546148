import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import type { EventStore, EventToAppend, RecordedEvent } from '../../src/store/port.js';
import { eventStoreContract } from './event-store.contract.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'authstream-embedded-'));
}

eventStoreContract('embedded', async () => {
  const dir = await tempDir();
  return { store: await openEmbeddedEventStore(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

// The same semantics with every read going to disk (no cache) and an index snapshot after every write.
eventStoreContract('embedded, uncached, snapshot after every write', async () => {
  const dir = await tempDir();
  const store = await openEmbeddedEventStore(dir, { cacheRecords: 0, snapshotBytes: 1 });
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

function event(data: Record<string, unknown> = {}): EventToAppend {
  return { id: randomUUID(), type: 'Tested', data };
}

async function all(store: EventStore): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of store.readAll()) out.push(e);
  return out;
}

describe('embedded event store', () => {
  const dirs: string[] = [];
  const open: EventStore[] = [];
  let warnings: string[] = [];
  const warn = (m: string) => warnings.push(m);

  async function fresh(): Promise<{ dir: string; log: string }> {
    const dir = await tempDir();
    dirs.push(dir);
    return { dir, log: join(dir, 'events.log') };
  }

  async function openStore(dir: string): Promise<EventStore> {
    const store = await openEmbeddedEventStore(dir, { warn });
    open.push(store);
    return store;
  }

  /** Two batches then a third, so tests can damage the third and check the first two survive. */
  async function threeBatches(dir: string): Promise<{ sizeBeforeThird: number }> {
    const store = await openStore(dir);
    await store.append('s', [event({ n: 0 }), event({ n: 1 })], 'no_stream');
    await store.append('t', [event({ n: 2 })], 'no_stream');
    const sizeBeforeThird = (await stat(join(dir, 'events.log'))).size;
    await store.append('s', [event({ n: 3 }), event({ n: 4 })], 1n);
    await store.close();
    return { sizeBeforeThird };
  }

  async function expectFirstTwoBatches(store: EventStore): Promise<void> {
    assert.deepEqual(
      (await all(store)).map((e) => e.data['n']),
      [0, 1, 2],
    );
    assert.deepEqual(
      (await store.readStream('s')).map((e) => e.revision),
      [0n, 1n],
    );
    const result = await store.append('s', [event({ n: 5 })], 1n);
    assert.equal(result.position.commit, 4n, 'positions continue right after the surviving events');
  }

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
    warnings = [];
  });

  it('keeps events, revisions and positions across a restart', async () => {
    const { dir } = await fresh();
    const first = await openStore(dir);
    await first.append('a', [event({ n: 0 }), event({ n: 1 })], 'no_stream');
    await first.append('b', [{ ...event({ n: 2 }), metadata: { m: 'ü' } }], 'no_stream');
    const before = await all(first);
    await first.close();

    const second = await openStore(dir);
    assert.deepEqual(await all(second), before);
    assert.deepEqual(await second.readStream('a'), before.slice(0, 2));
    const result = await second.append('a', [event({ n: 3 })], 1n);
    assert.equal(result.nextExpectedRevision, 2n);
    assert.deepEqual(result.position, { commit: 4n, prepare: 4n });
    await second.close();

    const third = await openStore(dir);
    assert.deepEqual(
      (await all(third)).map((e) => e.data['n']),
      [0, 1, 2, 3],
    );
    assert.deepEqual(warnings, []);
  });

  it('drops a last record torn by a crash, keeping earlier events (more cases in test/store/embedded-damage)', async () => {
    const { dir, log } = await fresh();
    const { sizeBeforeThird } = await threeBatches(dir);
    // A writer that crashed before its first index snapshot: nothing says the third record was acknowledged.
    await rm(join(dir, 'events.idx'));
    await truncate(log, (await stat(log)).size - 3);

    const store = await openStore(dir);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /torn/);
    assert.equal((await stat(log)).size, sizeBeforeThird, 'the torn bytes are cut off the file');
    await expectFirstTwoBatches(store);
  });

  it('refuses to open a log damaged in the middle, leaves it untouched, and releases its lock', async () => {
    const { dir, log } = await fresh();
    const { sizeBeforeThird } = await threeBatches(dir);
    const bytes = await readFile(log);
    bytes[sizeBeforeThird - 20] = bytes[sizeBeforeThird - 20]! ^ 0xff; // in the body of the second record
    await writeFile(log, bytes);
    await assert.rejects(openEmbeddedEventStore(dir, { warn }), /damaged at byte \d+ \(body-checksum\).*sound record follows/);
    await assert.rejects(openEmbeddedEventStore(dir, { warn }), /damaged/, 'a failed open does not leave the lock held');
    assert.deepEqual(await readFile(log), bytes);
  });

  it('refuses a second open of the same directory in this process', async () => {
    const { dir } = await fresh();
    const first = await openStore(dir);
    await assert.rejects(openEmbeddedEventStore(dir), /already open in this process/);
    await first.close();
    await openStore(dir);
  });

  it('lets only one of two simultaneous opens in this process win', async () => {
    const { dir } = await fresh();
    const outcomes = await Promise.allSettled([openStore(dir), openStore(dir)]);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    assert.match(String(outcomes.find((o) => o.status === 'rejected')?.reason), /already open in this process/);
  });

  it('refuses a directory held by another live process, and takes over once it is killed', async () => {
    const { dir } = await fresh();
    const storeModule = fileURLToPath(new URL('../../src/store/embedded.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `const { openEmbeddedEventStore } = await import(${JSON.stringify(storeModule)});
         await openEmbeddedEventStore(${JSON.stringify(dir)});
         console.log('ready');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [ready] = await once(child.stdout, 'data');
      assert.match(String(ready), /ready/);
      await assert.rejects(openEmbeddedEventStore(dir), new RegExp(`locked by process ${child.pid}.*another authstream`));
    } finally {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await openStore(dir);
    assert.match(warnings.join('\n'), /stale lock/);
  });

  it('treats a lock holding its own pid as left by an earlier incarnation (container restart)', async () => {
    const { dir } = await fresh();
    await writeFile(join(dir, 'events.lock'), JSON.stringify({ pid: process.pid, host: hostname() }));
    await openStore(dir);
    assert.match(warnings.join('\n'), /stale lock/);
  });

  it('rejects an empty append and hands out immutable events', async () => {
    const { dir } = await fresh();
    const store = await openStore(dir);
    await assert.rejects(store.append('s', [], 'any'), RangeError);
    await store.append('s', [event({ nested: { x: 1 } })], 'no_stream');
    const [e] = await store.readStream('s');
    assert.throws(() => {
      (e!.data['nested'] as { x: number }).x = 2;
    }, TypeError);
  });

  it('keeps $-prefixed events out of readAll and subscriptions, but not out of readStream', async () => {
    const { dir } = await fresh();
    const store = await openStore(dir);
    await store.append('s', [{ ...event(), type: '$Internal' }, event({ n: 1 })], 'no_stream');
    await store.append('$system', [event({ n: 2 })], 'no_stream');
    await store.append('s', [event({ n: 3 })], 1n);
    assert.deepEqual(
      (await all(store)).map((e) => e.data['n']),
      [1, 3],
    );
    assert.equal((await store.readStream('s')).length, 3);
    const seen: unknown[] = [];
    const subscription = store.subscribeToAll();
    for await (const e of subscription) {
      seen.push(e.data['n']);
      if (seen.length === 2) break;
    }
    assert.deepEqual(seen, [1, 3]);
  });

  it('ends open subscriptions when the store closes', async () => {
    const { dir } = await fresh();
    const store = await openEmbeddedEventStore(dir);
    await store.append('s', [event()], 'no_stream');
    const iterator = store.subscribeToAll()[Symbol.asyncIterator]();
    assert.equal((await iterator.next()).done, false);
    const pending = iterator.next();
    await store.close();
    assert.equal((await pending).done, true);
  });

  it('rejects appends after close but finishes those already queued', async () => {
    const { dir } = await fresh();
    const store = await openEmbeddedEventStore(dir);
    const queued = store.append('s', [event()], 'no_stream');
    const closing = store.close();
    await assert.rejects(store.append('s', [event()], 'any'), /closed/);
    assert.equal((await queued).nextExpectedRevision, 0n);
    await closing;
    const reopened = await openStore(dir);
    assert.equal((await reopened.readStream('s')).length, 1);
  });
});
