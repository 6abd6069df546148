// The operator commands: check (reads only, safe beside a running service) and repair (cuts at a named record
// boundary after copying the whole log aside; refuses while a service holds the log).
import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { checkEmbeddedLog, repairEmbeddedLog } from '../../src/store/embedded-check.js';
import { asIfCrashed, dirState, event, Fixture, flipBit, logOf, ns, snapshotOf, writeRecords } from './helpers.js';

describe('embedded log check and repair', () => {
  const fx = new Fixture();
  afterEach(() => fx.cleanup());

  it('checks a sound log: counts, last good offset, snapshot', async () => {
    const dir = await fx.dir();
    const layout = await writeRecords(fx, dir, 7);
    const report = await checkEmbeddedLog(dir);
    assert.equal(report.verdict, 'ok');
    assert.equal(report.format, 2);
    assert.equal(report.records, 7);
    assert.equal(report.events, 7);
    assert.equal(report.streams, 3);
    assert.equal(report.lastGoodOffset, layout.end);
    assert.equal(report.size, layout.end);
    assert.equal(report.problem, undefined);
    assert.deepEqual(report.snapshot, { state: 'valid', ackedEnd: layout.end });
  });

  it('reports a missing log, and never creates anything', async () => {
    const dir = await fx.dir();
    const report = await checkEmbeddedLog(join(dir, 'nothing-here'));
    assert.equal(report.format, 'missing');
    assert.deepEqual(await readdir(dir), []);
  });

  it('checks beside a running writer without writing or taking its lock', async () => {
    const dir = await fx.dir();
    const store = await fx.open(dir);
    await store.append('s', [event({ n: 0 })], 'no_stream');
    const before = await dirState(dir);
    const report = await checkEmbeddedLog(dir);
    assert.equal(report.events, 1);
    assert.deepEqual(await dirState(dir), before);
    await store.append('s', [event({ n: 1 })], 0n);
    assert.deepEqual(await ns(store), [0, 1]);
  });

  it('repairs garbage after the last record: backup of the whole file first, then the cut; the log opens again', async () => {
    const dir = await fx.dir();
    const layout = await writeRecords(fx, dir, 5);
    const clean = await readFile(logOf(dir));
    await appendFile(logOf(dir), 'not a record');
    const damaged = await readFile(logOf(dir));
    const report = await checkEmbeddedLog(dir);
    assert.equal(report.verdict, 'refuses');
    assert.equal(report.lastGoodOffset, layout.end);

    const result = await repairEmbeddedLog(dir, { cutAt: report.lastGoodOffset });
    assert.deepEqual(await readFile(result.backup), damaged, 'the backup is the log as it was');
    assert.match(result.backup, /events\.log\.backup-/);
    assert.deepEqual(await readFile(logOf(dir)), clean);
    assert.equal(result.removedBytes, 'not a record'.length);
    assert.equal(result.after.verdict, 'ok');
    await assert.rejects(stat(snapshotOf(dir)), /ENOENT/, 'the snapshot of the uncut log is gone');
    assert.deepEqual(await ns(await fx.open(dir)), [0, 1, 2, 3, 4]);
  });

  it('repairs damage in the middle by cutting where the operator says; later appends continue from there', async () => {
    const dir = await fx.dir();
    const layout = await writeRecords(fx, dir, 6);
    await flipBit(logOf(dir), layout.starts[3]! + 50);
    const report = await checkEmbeddedLog(dir);
    assert.equal(report.problem?.offset, layout.starts[3]);
    assert.equal(report.problem?.validRecordAt, layout.starts[4]);

    // Cutting earlier than the damage is allowed too, at any record boundary.
    const result = await repairEmbeddedLog(dir, { cutAt: layout.starts[2]! });
    assert.equal(result.after.records, 2);
    const store = await fx.open(dir);
    assert.deepEqual(await ns(store), [0, 1]);
    const appended = await store.append('s2', [event({ n: 2 })], 'no_stream');
    assert.equal(appended.position.commit, 3n);
  });

  it('refuses to cut anywhere but a record boundary within the sound part, and leaves everything as it was', async () => {
    const dir = await fx.dir();
    const layout = await writeRecords(fx, dir, 4);
    await asIfCrashed(dir);
    await flipBit(logOf(dir), layout.starts[2]! + 50);
    const before = await dirState(dir);
    await assert.rejects(repairEmbeddedLog(dir, { cutAt: layout.starts[1]! + 1 }), /not where a record starts/);
    await assert.rejects(repairEmbeddedLog(dir, { cutAt: layout.starts[3]! }), /past the last sound record/);
    await assert.rejects(repairEmbeddedLog(dir, { cutAt: 10 }), /not where a record starts/);
    await assert.rejects(repairEmbeddedLog(dir, { cutAt: -1 }), /needs cutAt/);
    assert.deepEqual(await dirState(dir), before);
  });

  it('refuses to repair while a writer holds the log', async () => {
    const dir = await fx.dir();
    const store = await fx.open(dir);
    await store.append('s', [event()], 'no_stream');
    await assert.rejects(repairEmbeddedLog(dir, { cutAt: 36 }), /already open in this process|locked by process/);
    assert.equal((await store.readStream('s')).length, 1);
  });
});
