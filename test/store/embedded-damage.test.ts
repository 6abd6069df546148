// Damage in every place of the log, and what open, a read-only open and check make of it: a torn last write is
// dropped; everything else stops the open naming the offset and leaves the file byte for byte as it was.
import assert from 'node:assert/strict';
import { appendFile, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { afterEach, describe, it } from 'node:test';
import { checkEmbeddedLog, EmbeddedLogDamagedError, openEmbeddedEventStore } from '../../src/store/embedded.js';
import { asIfCrashed, event, Fixture, flipBit, logOf, ns, writeRecords, type Layout } from './helpers.js';

const RECORDS = 6;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('embedded log damage', () => {
  const fx = new Fixture();
  afterEach(() => fx.cleanup());

  /** A log of RECORDS one-event records, damaged by `damage`; `crashed`: no snapshot says what was acknowledged. */
  async function damagedLog(damage: (log: string, layout: Layout) => Promise<void>, { crashed = true, records = RECORDS } = {}) {
    const dir = await fx.dir();
    const layout = await writeRecords(fx, dir, records);
    if (crashed) await asIfCrashed(dir);
    await damage(logOf(dir), layout);
    return { dir, layout };
  }

  async function expectRefused(dir: string, offset: number, kind: string, validRecordAt?: number): Promise<void> {
    const before = await readFile(logOf(dir));
    const refused = (err: unknown) => {
      assert.ok(err instanceof EmbeddedLogDamagedError, `expected EmbeddedLogDamagedError, got ${String(err)}`);
      assert.equal(err.problem.offset, offset);
      assert.equal(err.problem.kind, kind);
      assert.equal(err.problem.validRecordAt, validRecordAt);
      assert.match(err.message, new RegExp(`damaged at byte ${offset} `));
      return true;
    };
    await assert.rejects(openEmbeddedEventStore(dir, { warn: fx.warn }), refused);
    // Refused the same way again: the failed open released its lock.
    await assert.rejects(openEmbeddedEventStore(dir, { warn: fx.warn }), refused);
    assert.deepEqual(await readFile(logOf(dir)), before, 'the log is byte-identical');

    const report = await checkEmbeddedLog(dir);
    assert.equal(report.verdict, 'refuses');
    assert.equal(report.problem?.offset, offset);
    assert.equal(report.problem?.kind, kind);
    assert.equal(report.lastGoodOffset, offset);
    assert.deepEqual(await readFile(logOf(dir)), before, 'check does not write');
  }

  async function expectTornDropped(dir: string, keptRecords: number, cutAt: number, warning: RegExp): Promise<void> {
    const report = await checkEmbeddedLog(dir);
    assert.equal(report.verdict, 'drops-torn-tail');
    assert.equal(report.problem?.offset, cutAt);
    const store = await fx.open(dir);
    assert.match(fx.warnings.join('\n'), /dropping a torn last write/);
    assert.match(fx.warnings.join('\n'), warning);
    assert.equal((await stat(logOf(dir))).size, cutAt, 'the torn bytes are cut off');
    assert.deepEqual(await ns(store), range(keptRecords));
    const next = await store.append('after', [event({ n: keptRecords })], 'no_stream');
    assert.equal(next.position.commit, BigInt(keptRecords + 1), 'positions continue right after the kept events');
  }

  // Header fields: magic 0..2, body length 4..8, position 8..14, body CRC 32..36, header CRC 36..40; body from 40.
  const fields = [
    { field: 'the magic number', at: 0, bit: 1, kind: 'bad-magic' },
    { field: 'the length (low bit)', at: 7, bit: 0, kind: 'header-checksum' },
    { field: 'the length (high bit)', at: 4, bit: 7, kind: 'header-checksum' },
    { field: 'the position', at: 13, bit: 0, kind: 'header-checksum' },
    // The header checksum covers the body checksum too.
    { field: 'the body checksum', at: 33, bit: 3, kind: 'header-checksum' },
    { field: 'the header checksum', at: 38, bit: 5, kind: 'header-checksum' },
    { field: 'the body', at: 60, bit: 2, kind: 'body-checksum' },
  ] as const;

  for (const { field, at, bit, kind } of fields) {
    it(`refuses a flipped bit in ${field} of a middle record, naming it, file untouched`, async () => {
      const { dir, layout } = await damagedLog((log, { starts }) => flipBit(log, starts[2]! + at, bit));
      await expectRefused(dir, layout.starts[2]!, kind, layout.starts[3]);
      assert.match(String(await openEmbeddedEventStore(dir).catch((e) => e)), /a sound record follows at byte/);
    });

    it(`refuses a flipped bit in ${field} of the last record: a whole record is never a torn write`, async () => {
      const { dir, layout } = await damagedLog((log, { starts }) => flipBit(log, starts[RECORDS - 1]! + at, bit));
      await expectRefused(dir, layout.starts[RECORDS - 1]!, kind);
    });
  }

  it('the incident: a flipped length bit mid-log no longer cuts the log in half; a read-only open refuses too', async () => {
    const { dir, layout } = await damagedLog((log, { starts }) => flipBit(log, starts[10]! + 6, 4), { records: 40 });
    await expectRefused(dir, layout.starts[10]!, 'header-checksum', layout.starts[11]);
    await assert.rejects(openEmbeddedEventStore(dir, { readOnly: true }), EmbeddedLogDamagedError);
    assert.equal((await stat(logOf(dir))).size, layout.end, 'all 40 records are still there');
  });

  it('refuses damage found through a warm open: every byte under the snapshot is checked against its checksums', async () => {
    const { dir, layout } = await damagedLog((log, { starts }) => flipBit(log, starts[2]! + 60), { crashed: false });
    await expectRefused(dir, layout.starts[2]!, 'body-checksum', layout.starts[3]);
    assert.match(fx.warnings.join('\n'), /changed since they were written; scanning the whole log/);
  });

  it('refuses a damaged file header', async () => {
    const { dir } = await damagedLog((log) => flipBit(log, 20));
    await expectRefused(dir, 0, 'bad-header');
  });

  describe('torn last writes (no snapshot: the writer died before it wrote one)', () => {
    it('drops a last record cut inside its body', async () => {
      const { dir, layout } = await damagedLog((log, { end }) => truncate(log, end - 3));
      await expectTornDropped(dir, RECORDS - 1, layout.starts[RECORDS - 1]!, /into a \d+-byte record/);
    });

    it('drops a last record cut inside its header, even one byte into it', async () => {
      for (const into of [5, 1]) {
        const { dir, layout } = await damagedLog((log, { starts }) => truncate(log, starts[RECORDS - 1]! + into));
        await expectTornDropped(dir, RECORDS - 1, layout.starts[RECORDS - 1]!, new RegExp(`ends ${into} bytes into a record header`));
      }
    });

    it('drops a zero-filled tail after the last record, keeping every record', async () => {
      const { dir, layout } = await damagedLog((log) => appendFile(log, Buffer.alloc(4096)));
      await expectTornDropped(dir, RECORDS, layout.end, /zero-filled tail/);
    });

    it('drops a last record that is zeros from inside its body, or inside its header, to the end', async () => {
      for (const from of [50, 20, 0]) {
        const { dir, layout } = await damagedLog(async (log, { starts }) => {
          const bytes = await readFile(log);
          bytes.fill(0, starts[RECORDS - 1]! + from);
          await writeFile(log, bytes);
        });
        await expectTornDropped(
          dir,
          RECORDS - 1,
          layout.starts[RECORDS - 1]!,
          from === 0 ? /zero-filled tail/ : /the file is zeros from byte/,
        );
      }
    });

    it('drops a torn tail past the end a snapshot recorded as acknowledged', async () => {
      const { dir, layout } = await damagedLog((log) => appendFile(log, Buffer.from([0xff, 0xa5, 1])), { crashed: false });
      await expectTornDropped(dir, RECORDS, layout.end, /ends 3 bytes into a record header/);
    });
  });

  describe('not torn writes', () => {
    it('refuses garbage appended after the last record (it is no record our writer could have begun)', async () => {
      for (const garbage of ['garbage from a half-written append', 'abc']) {
        const { dir, layout } = await damagedLog((log) => appendFile(log, garbage));
        await expectRefused(dir, layout.end, 'bad-magic');
      }
    });

    it('refuses a copy of an earlier record appended at the end', async () => {
      const { dir, layout } = await damagedLog(async (log, { starts }) => {
        const bytes = await readFile(log);
        await appendFile(log, bytes.subarray(starts[1]!, starts[2]!));
      });
      await expectRefused(dir, layout.end, 'out-of-order');
    });

    it('refuses a cut last record that a snapshot shows was acknowledged', async () => {
      const { dir, layout } = await damagedLog((log, { end }) => truncate(log, end - 3), { crashed: false });
      await expectRefused(dir, layout.starts[RECORDS - 1]!, 'incomplete-record');
      assert.match(String(await openEmbeddedEventStore(dir).catch((e) => e)), /so this record was acknowledged/);
    });

    it('refuses a log cut at a record boundary short of what a snapshot shows was acknowledged', async () => {
      const { dir, layout } = await damagedLog((log, { starts }) => truncate(log, starts[RECORDS - 2]!), { crashed: false });
      await expectRefused(dir, layout.starts[RECORDS - 2]!, 'missing-acknowledged');
    });
  });

  it('a read-only open stops before damage at the very end (it may be a write in progress), and never writes', async () => {
    const { dir, layout } = await damagedLog((log, { starts }) => flipBit(log, starts[RECORDS - 1]! + 60));
    const before = await readFile(logOf(dir));
    const store = await fx.open(dir, { readOnly: true });
    assert.deepEqual(await ns(store), range(RECORDS - 1));
    assert.match(fx.warnings.join('\n'), new RegExp(`up to byte ${layout.starts[RECORDS - 1]} only`));
    await store.close();
    assert.deepEqual(await readFile(logOf(dir)), before);
  });
});
