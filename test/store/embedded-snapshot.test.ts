// The index snapshot: a warm open reads it and scans only the log after it; one that is missing, stale, damaged or
// of another log falls back to a scan; either way the store holds exactly what a full scan finds.
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { checkEmbeddedLog, EmbeddedLogDamagedError, type EmbeddedEventStore } from '../../src/store/embedded.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { all, event, Fixture, flipBit, logOf, snapshotOf, writeRecords } from './helpers.js';

/** Everything a store holds, stream by stream, both directions. */
async function contents(store: EmbeddedEventStore, streams: string[]): Promise<unknown> {
  const brief = (events: RecordedEvent[]) =>
    events.map((e) => [e.id, e.streamId, e.revision, e.position.commit, e.data, e.created.getTime()]);
  const out: unknown[] = [brief(await all(store))];
  for (const s of streams) {
    out.push(brief(await store.readStream(s)), brief(await store.readStream(s, { direction: 'backwards', maxCount: 2 })));
    out.push(brief(await store.readStream(s, { fromRevision: 1n, maxCount: 2 })));
  }
  return out;
}

describe('embedded log index snapshot', () => {
  const fx = new Fixture();
  afterEach(() => fx.cleanup());
  const streams = ['s0', 's1', 's2', 'late'];

  it('opens warm from the snapshot written at close, holding what a full scan finds', async () => {
    const dir = await fx.dir();
    await writeRecords(fx, dir, 20);
    const warm = await fx.open(dir);
    assert.equal(warm.opened.snapshot, 'loaded');
    assert.equal(warm.opened.scannedBytes, 0);
    const expected = await contents(warm, streams);
    await warm.close();
    const scanned = await fx.open(dir, { fullScan: true });
    assert.equal(scanned.opened.snapshot, 'verified by a full scan');
    assert.deepEqual(await contents(scanned, streams), expected);
  });

  it('scans only what was written after a stale snapshot (a crash after more appends), and continues from there', async () => {
    const dir = await fx.dir();
    await writeRecords(fx, dir, 10);
    const stale = await readFile(snapshotOf(dir));
    const store = await fx.open(dir);
    await store.append('s0', [event({ n: 10 }), event({ n: 11 })], 3n);
    await store.append('late', [event({ n: 12 })], 'no_stream');
    await store.close();
    const scanned = await fx.open(dir, { fullScan: true });
    const expected = await contents(scanned, streams);
    await scanned.close();
    await writeFile(snapshotOf(dir), stale);

    const warm = await fx.open(dir);
    assert.equal(warm.opened.snapshot, 'loaded');
    assert.ok(warm.opened.scannedBytes > 0, 'the records after the snapshot were scanned');
    assert.deepEqual(await contents(warm, streams), expected);
    assert.equal((await warm.append('s0', [event({ n: 13 })], 5n)).position.commit, 14n);
    assert.equal((await warm.append('late', [event({ n: 14 })], 0n)).nextExpectedRevision, 1n);
  });

  for (const [damage, reason, spoil] of [
    [
      'a flipped bit in its columns',
      /its checksum does not match/,
      async (dir: string) => flipBit(snapshotOf(dir), (await stat(snapshotOf(dir))).size - 100),
    ],
    // Its meta is read before the trailer's checksum can vouch for it: a damaged one is caught by its shape or the checksum.
    ['a flipped bit in its meta', /its header is damaged|its checksum does not match/, (dir: string) => flipBit(snapshotOf(dir), 200)],
    ['a cut', /bytes where its header describes/, async (dir: string) => truncate(snapshotOf(dir), 300)],
    ['garbage', /not an index snapshot/, (dir: string) => writeFile(snapshotOf(dir), 'garbage')],
  ] as const) {
    it(`falls back to a full scan when the snapshot has ${damage}`, async () => {
      const dir = await fx.dir();
      await writeRecords(fx, dir, 12);
      const expected = await contents(await fx.open(dir), streams);
      await fx.cleanupStores();
      await spoil(dir);
      const store = await fx.open(dir);
      assert.match(store.opened.snapshot, reason);
      assert.match(fx.warnings.join('\n'), /not using the index snapshot/);
      assert.deepEqual(await contents(store, streams), expected);
    });
  }

  it('ignores a snapshot of another log', async () => {
    const [dir, other] = [await fx.dir(), await fx.dir()];
    await writeRecords(fx, dir, 5);
    await writeRecords(fx, other, 8);
    await copyFile(snapshotOf(other), snapshotOf(dir));
    const store = await fx.open(dir);
    assert.match(store.opened.snapshot, /another log/);
    assert.equal((await all(store)).length, 5);
  });

  it('writes snapshots as the log grows, not only at close', async () => {
    const dir = await fx.dir();
    const store = await fx.open(dir, { snapshotBytes: 1 });
    for (let n = 0; n < 5; n++) await store.append('s', [event({ n })], 'any');
    await store.snapshot();
    assert.deepEqual((await checkEmbeddedLog(dir)).snapshot, { state: 'valid', ackedEnd: store.index.end });
  });

  it('removes what a crash left half-written (a snapshot, a migration) when opened for writing, not when read-only', async () => {
    const dir = await fx.dir();
    await writeRecords(fx, dir, 2);
    const leftovers = ['events.idx.0a1b2c3d.tmp', 'events.log.migrating', 'events.log.new'];
    for (const name of leftovers) await writeFile(join(dir, name), 'half');
    await (await fx.open(dir, { readOnly: true })).close();
    assert.deepEqual((await readdir(dir)).filter((n) => leftovers.includes(n)).sort(), [...leftovers].sort());
    await fx.open(dir);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => leftovers.includes(n)),
      [],
    );
  });

  it("with verify: 'tail', trusts the snapshot at open; a read still finds damage under it", async () => {
    const dir = await fx.dir();
    const layout = await writeRecords(fx, dir, 6);
    await flipBit(logOf(dir), layout.starts[2]! + 60);
    const store = await fx.open(dir, { verify: 'tail' });
    assert.equal(store.opened.snapshot, 'loaded');
    await assert.rejects(all(store), (err: unknown) => err instanceof EmbeddedLogDamagedError && err.problem.offset === layout.starts[2]);
    await assert.rejects(store.readStream('s2'), new RegExp(`damaged at byte ${layout.starts[2]} .*Found reading it`));
  });

  it('round-trips an index past one column chunk and one id page (70k records, 7k long stream ids)', async () => {
    const dir = await fx.dir();
    const store = await fx.open(dir);
    const ids = Array.from({ length: 7000 }, (_, i) => `stream-${'x'.repeat(150)}-${i}`);
    const revisions = new Map<string, bigint>();
    let n = 0;
    const worker = async (w: number) => {
      for (let i = w; i < 70_000; i += 64) {
        const s = ids[i % ids.length]!;
        const r = revisions.get(s);
        revisions.set(s, r === undefined ? 0n : r + 1n);
        await store.append(s, [event({ n: n++ })], r === undefined ? 'no_stream' : r);
      }
    };
    await Promise.all(Array.from({ length: 64 }, (_, w) => worker(w)));
    assert.equal(store.index.records, 70_000);
    await store.close();
    const sample = [ids[0]!, ids[3499]!, ids[6999]!];
    const warm = await fx.open(dir);
    assert.equal(warm.opened.snapshot, 'loaded');
    const scanned = await fx.open(`${dir}`, { fullScan: true, readOnly: true });
    for (const s of sample) {
      assert.deepEqual(
        (await warm.readStream(s)).map((e) => e.id),
        (await scanned.readStream(s)).map((e) => e.id),
      );
      assert.equal((await warm.readStream(s)).length, 10);
    }
    assert.equal((await warm.append(ids[42]!, [event()], 9n)).nextExpectedRevision, 10n);
  });
});
