// A share of the log's streams, read from the file (what each thread of a two-thread replay reads): every record
// reaches exactly one share, each stream's events in order, and damage is found by every share, whoever's record it is.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { v2 } from '../../src/store/embedded/format.js';
import { shareOf, shareRecords, type LogExtent } from '../../src/store/embedded/partition.js';
import { EmbeddedLogDamagedError } from '../../src/store/embedded.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { all, event, Fixture, flipBit, logOf, writeRecords } from './helpers.js';

const fx = new Fixture();
afterEach(() => fx.cleanup());

async function read(log: LogExtent, shares: number, share: number, streams?: (id: Uint8Array) => boolean): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const events of shareRecords(log, { shares, share, ...(streams ? { streams } : {}) })) out.push(...events);
  return out;
}

describe('embedded log: shares of its streams', () => {
  it('hands every event to exactly one share, by stream, in log order', async () => {
    const dir = await fx.dir();
    const store = await fx.open(dir);
    const revisions = new Map<string, bigint>();
    for (let k = 0; k < 120; k++) {
      const stream = `account-${k % 17}`;
      const r = revisions.get(stream);
      // Appends of one and of two events: a record is the unit a share takes.
      const events = k % 4 === 0 ? [event({ n: k }), event({ n: k, second: true })] : [event({ n: k })];
      revisions.set(stream, (await store.append(stream, events, r ?? 'no_stream')).nextExpectedRevision);
    }
    const log = { path: logOf(dir), codec: v2, end: store.index.end };
    const everything = await all(store);
    const shares = await Promise.all([0, 1, 2].map((share) => read(log, 3, share)));

    assert.deepEqual(
      shares
        .flat()
        .sort((a, b) => Number(a.position.commit - b.position.commit))
        .map((e) => e.id),
      everything.map((e) => e.id),
    );
    shares.forEach((events, share) => {
      assert.ok(events.length > 0, `share ${share} has streams`);
      for (const e of events) assert.equal(shareOf(Buffer.from(e.streamId), 3), share);
      const positions = events.map((e) => Number(e.position.commit));
      assert.deepEqual(
        positions,
        [...positions].sort((a, b) => a - b),
      );
    });
    const wanted = (id: Uint8Array) => Buffer.from(id).toString().endsWith('-3');
    assert.deepEqual(
      (await read(log, 1, 0, wanted)).map((e) => e.id),
      everything.filter((e) => e.streamId === 'account-3').map((e) => e.id),
    );
  });

  it('finds damage in any record, whichever share the record belongs to, and names its offset', async () => {
    const dir = await fx.dir();
    const { starts, end } = await writeRecords(fx, dir, 20);
    await flipBit(logOf(dir), starts[10]! + 60);
    const log = { path: logOf(dir), codec: v2, end };
    for (const share of [0, 1]) {
      await assert.rejects(read(log, 2, share), (error: unknown) => {
        assert.ok(error instanceof EmbeddedLogDamagedError);
        assert.equal(error.problem.offset, starts[10]);
        assert.equal(error.problem.kind, 'body-checksum');
        return true;
      });
    }
  });

  it('refuses a log shorter than the extent it was given', async () => {
    const dir = await fx.dir();
    const { end } = await writeRecords(fx, dir, 5);
    await assert.rejects(read({ path: logOf(dir), codec: v2, end: end + 100 }, 1, 0), EmbeddedLogDamagedError);
  });
});
