// Logs written before format 2 ([u32 length][u32 CRC-32 of payload][payload JSON], no file header): a writer
// migrates them to format 2 keeping the original as events.log.v1; a reader reads them in place.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { checkEmbeddedLog, EmbeddedLogDamagedError, openEmbeddedEventStore } from '../../src/store/embedded.js';
import { all, dirState, event, Fixture, logOf } from './helpers.js';

interface V1Batch {
  s: string;
  r: string;
  p: string;
  t: string;
  e: { id: string; type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[];
}

function v1Record(batch: V1Batch): Buffer {
  const payload = Buffer.from(JSON.stringify(batch));
  const header = Buffer.alloc(8);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt32BE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

/** A version-1 log: 12 batches over 3 streams, batch k holding events n = 2k, 2k+1. */
function v1Log(): { bytes: Buffer; starts: number[]; batches: V1Batch[] } {
  const revisions = new Map<string, number>();
  const batches: V1Batch[] = [];
  for (let k = 0; k < 12; k++) {
    const s = `user-${k % 3}`;
    const r = revisions.get(s) ?? 0;
    revisions.set(s, r + 2);
    batches.push({
      s,
      r: String(r),
      p: String(2 * k + 1),
      t: new Date(Date.UTC(2024, 0, 1, 0, k)).toISOString(),
      e: [2 * k, 2 * k + 1].map((n) => ({ id: randomUUID(), type: 'UserRegistered', data: { n }, metadata: n % 2 ? { m: 'ü' } : {} })),
    });
  }
  const records = batches.map(v1Record);
  const starts = records.map((_, i) => records.slice(0, i).reduce((a, b) => a + b.length, 0));
  return { bytes: Buffer.concat(records), starts, batches };
}

describe('embedded log, version-1 logs', () => {
  const fx = new Fixture();
  afterEach(() => fx.cleanup());

  it('migrates a version-1 log when opened for writing, keeping every event and the original', async () => {
    const dir = await fx.dir();
    const { bytes, batches } = v1Log();
    await writeFile(logOf(dir), bytes);
    const store = await fx.open(dir);
    assert.match(fx.warnings.join('\n'), /migrated .* from format 1 to format 2 \(24 events\); the original is kept as .*events\.log\.v1/);
    assert.deepEqual(await readFile(join(dir, 'events.log.v1')), bytes, 'the original, byte for byte');
    assert.equal((await readFile(logOf(dir)))[0], 0xff, 'events.log is format 2');

    const events = await all(store);
    assert.deepEqual(
      events.map((e) => e.data['n']),
      Array.from({ length: 24 }, (_, n) => n),
    );
    const expected = batches.flatMap((b) =>
      b.e.map((e, i) => [e.id, b.s, BigInt(Number(b.r) + i), BigInt(Number(b.p) + i), e.metadata, Date.parse(b.t)]),
    );
    assert.deepEqual(
      events.map((e) => [e.id, e.streamId, e.revision, e.position.commit, e.metadata, e.created.getTime()]),
      expected,
    );
    assert.equal((await store.append('user-0', [event({ n: 24 })], 7n)).position.commit, 25n);
    await store.close();

    fx.warnings.length = 0;
    const reopened = await fx.open(dir);
    assert.deepEqual(fx.warnings, [], 'migrated once');
    assert.equal((await all(reopened)).length, 25);
    assert.equal((await checkEmbeddedLog(dir)).verdict, 'ok');
  });

  it('reads a version-1 log in place when read-only, writing nothing', async () => {
    const dir = await fx.dir();
    await writeFile(logOf(dir), v1Log().bytes);
    const before = await dirState(dir);
    const reader = await fx.open(dir, { readOnly: true });
    assert.equal(reader.opened.format, 1);
    assert.equal((await all(reader)).length, 24);
    assert.deepEqual((await reader.readStream('user-1', { direction: 'backwards', maxCount: 1 }))[0]?.data, { n: 21 });
    await reader.close();
    assert.deepEqual(await dirState(dir), before);
    const report = await checkEmbeddedLog(dir);
    assert.equal(report.format, 1);
    assert.equal(report.events, 24);
  });

  it('does not carry a torn last write over (the kept original still has it)', async () => {
    const dir = await fx.dir();
    const { bytes, starts } = v1Log();
    const torn = bytes.subarray(0, bytes.length - 4);
    await writeFile(logOf(dir), torn);
    const store = await fx.open(dir);
    assert.equal((await all(store)).length, 22);
    assert.match(fx.warnings.join('\n'), new RegExp(`torn last write at byte ${starts[11]} .* was not carried over`));
    assert.deepEqual(await readFile(join(dir, 'events.log.v1')), torn);
  });

  for (const [what, damage, kind] of [
    // The incident from the issue: a flipped bit in a length in the middle of the log.
    ['a flipped length bit in the middle', (b: Buffer, starts: number[]) => (b[starts[4]! + 2]! ^= 0x10), 'incomplete-record'],
    [
      'a damaged length of the last record (the record is whole)',
      (b: Buffer, starts: number[]) => b.writeUInt32BE(b.readUInt32BE(starts[11]!) + 1, starts[11]!),
      'incomplete-record',
    ],
    ['a flipped bit in a payload', (b: Buffer, starts: number[]) => (b[starts[6]! + 20]! ^= 0x01), 'body-checksum'],
  ] as const) {
    it(`refuses ${what}: no migration, nothing written`, async () => {
      const dir = await fx.dir();
      const { bytes, starts } = v1Log();
      const index = what.includes('last') ? 11 : what.includes('payload') ? 6 : 4;
      damage(bytes, starts);
      await writeFile(logOf(dir), bytes);
      await assert.rejects(openEmbeddedEventStore(dir, { warn: fx.warn }), (err: unknown) => {
        assert.ok(err instanceof EmbeddedLogDamagedError, String(err));
        assert.equal(err.problem.offset, starts[index]);
        assert.equal(err.problem.kind, kind);
        return true;
      });
      assert.deepEqual(await readFile(logOf(dir)), bytes);
      assert.deepEqual((await readdir(dir)).sort(), ['events.log'], 'no backup, no half-migrated file, no lock left');
    });
  }
});
