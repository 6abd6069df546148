// Read-only opens: beside a running writer, without its lock; never writing anything; stopping before an
// unfinished last write and seeing the writer's later appends.
import assert from 'node:assert/strict';
import { appendFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import type { RecordedEvent } from '../../src/store/port.js';
import { asIfCrashed, dirState, event, Fixture, logOf, ns, snapshotOf, writeRecords } from './helpers.js';

describe('embedded log read-only', () => {
  const fx = new Fixture();
  afterEach(() => fx.cleanup());

  it('opens a log a writer holds, without its lock, and sees the appends the writer makes later', async () => {
    const dir = await fx.dir();
    const writer = await fx.open(dir);
    await writer.append('s', [event({ n: 0 })], 'no_stream');
    const lock = await readFile(join(dir, 'events.lock'), 'utf8');

    const reader = await fx.open(dir, { readOnly: true, pollMs: 10 });
    assert.equal(reader.readOnly, true);
    assert.deepEqual(await ns(reader), [0]);
    await assert.rejects(reader.append('s', [event()], 'any'), /read-only/);
    assert.equal(await readFile(join(dir, 'events.lock'), 'utf8'), lock, 'the writer still holds its lock');

    const live = reader.subscribeToAll()[Symbol.asyncIterator]();
    assert.equal((await live.next()).value?.data['n'], 0);
    await writer.append('s', [event({ n: 1 })], 0n);
    await writer.append('t', [event({ n: 2 }), event({ n: 3 })], 'no_stream');
    assert.deepEqual(await ns(reader), [0, 1, 2, 3]);
    assert.deepEqual(
      (await reader.readStream('t')).map((e) => e.revision),
      [0n, 1n],
    );
    const delivered: RecordedEvent[] = [];
    for (let i = 0; i < 3; i++) delivered.push((await live.next()).value as RecordedEvent);
    assert.deepEqual(
      delivered.map((e) => e.data['n']),
      [1, 2, 3],
    );
    await writer.append('t', [event({ n: 4 })], 1n);
    assert.equal(((await live.next()).value as RecordedEvent).data['n'], 4, 'a caught-up subscription polls the file');
    await live.return?.();
  });

  it('never writes: not on a clean log, not on one with a torn tail, not on a missing one', async () => {
    const clean = await fx.dir();
    await writeRecords(fx, clean, 4);
    const torn = await fx.dir();
    const layout = await writeRecords(fx, torn, 4);
    await asIfCrashed(torn);
    await truncate(logOf(torn), layout.end - 5);
    for (const [dir, events] of [
      [clean, [0, 1, 2, 3]],
      [torn, [0, 1, 2]],
    ] as const) {
      const before = await dirState(dir);
      const reader = await fx.open(dir, { readOnly: true });
      assert.deepEqual(await ns(reader), events);
      await reader.readStream('s0');
      await reader.close();
      assert.deepEqual(await dirState(dir), before, `nothing in ${dir} changed`);
    }
    assert.deepEqual(fx.warnings, [], 'a torn tail is not worth a warning to a reader');

    const missing = join(await fx.dir(), 'not-yet');
    const reader = await fx.open(missing, { readOnly: true });
    assert.deepEqual(await ns(reader), []);
    await assert.rejects(readFile(missing), /ENOENT/, 'the directory was not created');
  });

  it('stops before a write in progress and reads it once it is complete', async () => {
    const dir = await fx.dir();
    const layout = await writeRecords(fx, dir, 4);
    const whole = await readFile(logOf(dir));
    const fourth = whole.subarray(layout.starts[3]!);
    await writeFile(logOf(dir), whole.subarray(0, layout.starts[3]!));
    await rm(snapshotOf(dir));

    await appendFile(logOf(dir), fourth.subarray(0, 30));
    const reader = await fx.open(dir, { readOnly: true, pollMs: 10 });
    assert.deepEqual(await ns(reader), [0, 1, 2]);
    const live = reader.subscribeToAll({ commit: 3n, prepare: 3n })[Symbol.asyncIterator]();
    const next = live.next();
    await appendFile(logOf(dir), fourth.subarray(30, 60));
    assert.deepEqual(await ns(reader), [0, 1, 2]);
    await appendFile(logOf(dir), fourth.subarray(60));
    assert.deepEqual(await ns(reader), [0, 1, 2, 3]);
    assert.equal(((await next).value as RecordedEvent).data['n'], 3);
    await live.return?.();
  });

  it('finds a log created after it opened', async () => {
    const dir = await fx.dir();
    const reader = await fx.open(dir, { readOnly: true });
    assert.deepEqual(await ns(reader), []);
    const writer = await fx.open(dir);
    await writer.append('s', [event({ n: 0 })], 'no_stream');
    assert.deepEqual(await ns(reader), [0]);
  });

  it('fails its reads, rather than read wrong, once a repair cut the log under it', async () => {
    const dir = await fx.dir();
    const layout = await writeRecords(fx, dir, 4);
    const reader = await fx.open(dir, { readOnly: true });
    assert.equal((await ns(reader)).length, 4);
    await truncate(logOf(dir), layout.starts[2]!);
    await assert.rejects(reader.readStream('s0'), /is now shorter .* reopen the store/);
  });
});
