// The behaviour every EventStore adapter must show. Written to run against a shared, long-lived server too:
// every test uses fresh stream names and only asserts about the streams it created.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { describeUnless } from '../support/skip.js';
import {
  comparePositions,
  ConcurrencyError,
  START,
  type AllSubscription,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type Position,
  type RecordedEvent,
} from '../../src/store/port.js';

export type OpenStore = () => Promise<{ store: EventStore; cleanup?: () => Promise<void> }>;

const TIMEOUT = { timeout: 60_000 };
const WAIT_MS = 15_000;

function streamName(label: string): string {
  return `contract_${label}-${randomUUID()}`;
}

function event(type = 'ContractTested', data: Record<string, unknown> = {}, metadata?: Record<string, unknown>): EventToAppend {
  return { id: randomUUID(), type, data, ...(metadata ? { metadata } : {}) };
}

function events(n: number, type = 'ContractTested'): EventToAppend[] {
  return Array.from({ length: n }, (_, i) => event(type, { i }));
}

function isSystem(e: RecordedEvent): boolean {
  return e.type.startsWith('$') || e.streamId.startsWith('$');
}

function samePosition(a: Position, b: Position): boolean {
  return comparePositions(a, b) === 0;
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function expectConcurrencyError(
  promise: Promise<unknown>,
  streamId: string,
  expected: ExpectedRevision,
  actual: bigint | 'no_stream',
): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ConcurrencyError, `expected ConcurrencyError, got ${String(err)}`);
    assert.equal(err.streamId, streamId);
    assert.equal(err.expected, expected);
    assert.equal(err.actual, actual);
    return true;
  });
}

// Every assert.ok here has a message: without one, node:assert re-parses this TypeScript file with acorn to build
// the message, which takes minutes on a file this size and makes a failing adapter look like a hang.

/**
 * Pulls from one subscription across several phases (catch-up, then live), checking on every event that the
 * subscription never yields a system event and that positions strictly increase.
 */
class SubscriptionReader {
  private readonly iterator: AsyncIterator<RecordedEvent>;
  private last: Position | undefined;
  /** Every non-system event delivered so far, ours or not. */
  readonly seen: RecordedEvent[] = [];

  constructor(readonly subscription: AllSubscription) {
    this.iterator = subscription[Symbol.asyncIterator]();
  }

  /** The next `n` events that match, in delivery order. */
  async take(n: number, matches: (e: RecordedEvent) => boolean): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    while (out.length < n) {
      const next = await withTimeout(this.iterator.next(), WAIT_MS, `event ${out.length + 1} of ${n}`);
      assert.ok(!next.done, `subscription ended after ${out.length} of ${n} events`);
      const e = next.value;
      assert.ok(!isSystem(e), `subscription yielded a system event: ${e.streamId} ${e.type}`);
      if (this.last) assert.ok(comparePositions(this.last, e.position) < 0, 'subscription positions must strictly increase');
      this.last = e.position;
      this.seen.push(e);
      if (matches(e)) out.push(e);
    }
    return out;
  }

  next(): Promise<IteratorResult<RecordedEvent>> {
    return this.iterator.next();
  }
}

export function eventStoreContract(name: string, open: OpenStore, options?: { skip?: string | false }): void {
  describeUnless(`EventStore contract: ${name}`, options?.skip ?? false, () => {
    let store: EventStore;
    let cleanup: (() => Promise<void>) | undefined;

    before(async () => {
      ({ store, cleanup } = await open());
    });

    after(async () => {
      await store?.close();
      await cleanup?.();
    });

    describe('append expectations', () => {
      it("'no_stream' creates a new stream at revision 0", TIMEOUT, async () => {
        const s = streamName('no_stream');
        const result = await store.append(s, [event()], 'no_stream');
        assert.equal(result.nextExpectedRevision, 0n);
        const read = await store.readStream(s);
        assert.equal(read.length, 1);
        assert.equal(read[0]?.revision, 0n);
      });

      it("'no_stream' on an existing stream fails with the actual revision and writes nothing", TIMEOUT, async () => {
        const s = streamName('no_stream_exists');
        await store.append(s, [event()], 'no_stream');
        await expectConcurrencyError(store.append(s, [event()], 'no_stream'), s, 'no_stream', 0n);
        await store.append(s, [event()], 0n);
        await expectConcurrencyError(store.append(s, [event()], 'no_stream'), s, 'no_stream', 1n);
        assert.equal((await store.readStream(s)).length, 2);
      });

      it("'any' appends to a new and to an existing stream", TIMEOUT, async () => {
        const s = streamName('any');
        assert.equal((await store.append(s, [event()], 'any')).nextExpectedRevision, 0n);
        assert.equal((await store.append(s, [event()], 'any')).nextExpectedRevision, 1n);
        assert.deepEqual(
          (await store.readStream(s)).map((e) => e.revision),
          [0n, 1n],
        );
      });

      it("'stream_exists' fails on a missing stream and succeeds on an existing one", TIMEOUT, async () => {
        const s = streamName('stream_exists');
        await expectConcurrencyError(store.append(s, [event()], 'stream_exists'), s, 'stream_exists', 'no_stream');
        assert.deepEqual(await store.readStream(s), []);
        await store.append(s, [event()], 'no_stream');
        assert.equal((await store.append(s, [event()], 'stream_exists')).nextExpectedRevision, 1n);
      });

      it('an exact revision is that of the last event (0n after one event)', TIMEOUT, async () => {
        const s = streamName('exact');
        await store.append(s, [event()], 'no_stream');
        assert.equal((await store.append(s, [event()], 0n)).nextExpectedRevision, 1n);
        assert.equal((await store.append(s, [event()], 1n)).nextExpectedRevision, 2n);
      });

      it('a wrong exact revision fails with the actual revision and writes nothing', TIMEOUT, async () => {
        const s = streamName('exact_wrong');
        await store.append(s, events(2), 'no_stream');
        await expectConcurrencyError(store.append(s, [event()], 0n), s, 0n, 1n);
        await expectConcurrencyError(store.append(s, [event()], 5n), s, 5n, 1n);
        assert.equal((await store.readStream(s)).length, 2);
      });

      it("an exact revision on a missing stream fails with actual 'no_stream'", TIMEOUT, async () => {
        const s = streamName('exact_missing');
        await expectConcurrencyError(store.append(s, [event()], 0n), s, 0n, 'no_stream');
        await expectConcurrencyError(store.append(s, [event()], 3n), s, 3n, 'no_stream');
        assert.deepEqual(await store.readStream(s), []);
      });
    });

    describe('append results', () => {
      it('a multi-event append gets consecutive revisions and reports the last one', TIMEOUT, async () => {
        const s = streamName('multi');
        const first = await store.append(s, events(3), 'no_stream');
        assert.equal(first.nextExpectedRevision, 2n);
        const second = await store.append(s, events(2), 2n);
        assert.equal(second.nextExpectedRevision, 4n);
        const read = await store.readStream(s);
        assert.deepEqual(
          read.map((e) => e.revision),
          [0n, 1n, 2n, 3n, 4n],
        );
        assert.deepEqual(
          read.map((e) => e.data['i']),
          [0, 1, 2, 0, 1],
        );
      });

      it('the result position is that of the last appended event, and positions strictly increase', TIMEOUT, async () => {
        const s = streamName('positions');
        const results = [];
        results.push(await store.append(s, events(3), 'no_stream'));
        results.push(await store.append(s, [event()], 2n));
        results.push(await store.append(s, events(2), 3n));
        const read = await store.readStream(s);
        for (const [result, lastIndex] of [
          [results[0], 2],
          [results[1], 3],
          [results[2], 5],
        ] as const) {
          const last = read[lastIndex];
          assert.ok(result && last, `missing event at revision ${lastIndex}`);
          assert.ok(samePosition(result.position, last.position), `append result position != position of revision ${lastIndex}`);
        }
        for (let i = 1; i < read.length; i++) {
          assert.ok(comparePositions(read[i - 1]!.position, read[i]!.position) < 0, 'positions must strictly increase');
        }
        assert.ok(comparePositions(START, read[0]!.position) < 0, 'no event sits at START');
      });
    });

    describe('readStream', () => {
      const count = 5;
      let s: string;
      let appended: EventToAppend[];

      before(async () => {
        s = streamName('read');
        appended = events(count);
        await store.append(s, appended, 'no_stream');
      });

      it('reads forwards from the start by default', TIMEOUT, async () => {
        const read = await store.readStream(s);
        assert.deepEqual(
          read.map((e) => e.id),
          appended.map((e) => e.id),
        );
        assert.deepEqual(
          read.map((e) => e.revision),
          [0n, 1n, 2n, 3n, 4n],
        );
        assert.ok(
          read.every((e) => e.streamId === s),
          'events carry their stream id',
        );
        assert.deepEqual(await store.readStream(s, { direction: 'forwards' }), read);
      });

      it('reads backwards from the end', TIMEOUT, async () => {
        const read = await store.readStream(s, { direction: 'backwards' });
        assert.deepEqual(
          read.map((e) => e.revision),
          [4n, 3n, 2n, 1n, 0n],
        );
        assert.deepEqual(
          read.map((e) => e.id),
          appended.map((e) => e.id).reverse(),
        );
      });

      it('fromRevision is inclusive in both directions', TIMEOUT, async () => {
        assert.deepEqual(
          (await store.readStream(s, { fromRevision: 2n })).map((e) => e.revision),
          [2n, 3n, 4n],
        );
        assert.deepEqual(
          (await store.readStream(s, { direction: 'backwards', fromRevision: 2n })).map((e) => e.revision),
          [2n, 1n, 0n],
        );
        assert.deepEqual(
          (await store.readStream(s, { fromRevision: 4n })).map((e) => e.revision),
          [4n],
        );
      });

      it('fromRevision past the end reads forwards as []', TIMEOUT, async () => {
        assert.deepEqual(await store.readStream(s, { fromRevision: 5n }), []);
        assert.deepEqual(await store.readStream(s, { fromRevision: 1000n }), []);
      });

      it('maxCount limits the read, alone and with fromRevision', TIMEOUT, async () => {
        assert.deepEqual(
          (await store.readStream(s, { maxCount: 2 })).map((e) => e.revision),
          [0n, 1n],
        );
        assert.deepEqual(
          (await store.readStream(s, { direction: 'backwards', maxCount: 2 })).map((e) => e.revision),
          [4n, 3n],
        );
        assert.deepEqual(
          (await store.readStream(s, { fromRevision: 1n, maxCount: 3 })).map((e) => e.revision),
          [1n, 2n, 3n],
        );
        assert.deepEqual(
          (await store.readStream(s, { direction: 'backwards', fromRevision: 3n, maxCount: 2 })).map((e) => e.revision),
          [3n, 2n],
        );
        assert.equal((await store.readStream(s, { maxCount: 100 })).length, count);
      });

      it('a missing stream reads as [] in both directions', TIMEOUT, async () => {
        const missing = streamName('missing');
        assert.deepEqual(await store.readStream(missing), []);
        assert.deepEqual(await store.readStream(missing, { direction: 'backwards' }), []);
        assert.deepEqual(await store.readStream(missing, { fromRevision: 3n, maxCount: 2 }), []);
      });
    });

    describe('round trip', () => {
      it('id, type, data, metadata, stream and revision come back as written', TIMEOUT, async () => {
        const s = streamName('roundtrip');
        const data = {
          text: 'héllo wörld — 日本語 — 🔐👩‍💻 — عربى — e\u0301',
          escapes: 'quote " backslash \\ newline \n tab \t nul \u0000',
          'ключ 🔑': 'unicode key',
          empty: '',
          numbers: [0, 1, -1, 1.5, 2 ** 53 - 1, 1e-9],
          flags: { yes: true, no: false, nothing: null },
          nested: { a: { b: { c: [{ d: 'deep' }, [], {}] } } },
        };
        const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: 'user-1', ip: '::1' } };
        const withMeta = event('UserRegistered', data, metadata);
        const withoutMeta = event('Ünïcödé.Typé', { ok: 1 });
        await store.append(s, [withMeta, withoutMeta], 'no_stream');

        const [a, b] = await store.readStream(s);
        assert.ok(a && b, 'both events read back');
        assert.equal(a.id, withMeta.id);
        assert.equal(a.type, 'UserRegistered');
        assert.equal(a.streamId, s);
        assert.equal(a.revision, 0n);
        assert.deepEqual(a.data, data);
        assert.deepEqual(a.metadata, metadata);
        assert.ok(a.created instanceof Date && !Number.isNaN(a.created.getTime()), 'created is a valid Date');

        assert.equal(b.id, withoutMeta.id);
        assert.equal(b.type, 'Ünïcödé.Typé');
        assert.equal(b.revision, 1n);
        assert.deepEqual(b.data, { ok: 1 });
        assert.deepEqual(b.metadata, {}, 'missing metadata reads as {}');

        const [fromAll] = await collect(store.readAll({ fromPosition: a.position, maxCount: 1 }));
        assert.ok(fromAll, 'readAll finds the event at its position');
        assert.equal(fromAll.id, a.id);
        assert.deepEqual(fromAll.data, data);
        assert.deepEqual(fromAll.metadata, metadata);
        assert.equal(fromAll.revision, 0n);
        assert.ok(samePosition(fromAll.position, a.position), 'same position in readStream and readAll');
      });
    });

    describe('readAll', () => {
      it('from START yields our events in log order, never a system event', TIMEOUT, async () => {
        const s1 = streamName('all_a');
        const s2 = streamName('all_b');
        const ours = new Set([s1, s2]);
        await store.append(s1, events(2), 'no_stream');
        await store.append(s2, events(1), 'no_stream');
        await store.append(s1, events(1), 1n);
        const expected = [...(await store.readStream(s1)).slice(0, 2), ...(await store.readStream(s2)), (await store.readStream(s1))[2]!];

        const found: RecordedEvent[] = [];
        let last: Position | undefined;
        for await (const e of store.readAll()) {
          assert.ok(!isSystem(e), `readAll yielded a system event: ${e.streamId} ${e.type}`);
          if (last) assert.ok(comparePositions(last, e.position) < 0, 'positions in $all must strictly increase');
          last = e.position;
          if (ours.has(e.streamId)) found.push(e);
        }
        assert.deepEqual(
          found.map((e) => e.id),
          expected.map((e) => e.id),
        );
        assert.deepEqual(
          found.map((e) => [e.streamId, e.revision]),
          expected.map((e) => [e.streamId, e.revision]),
        );
        const fromStart = await collect(store.readAll({ fromPosition: START, maxCount: 1 }));
        assert.equal(fromStart.length, 1, 'readAll from START yields something once events exist');
      });

      it('fromPosition is inclusive and maxCount limits the read', TIMEOUT, async () => {
        const s = streamName('all_from');
        const appended = events(4);
        await store.append(s, appended, 'no_stream');
        const read = await store.readStream(s);
        const from = read[1]!.position;

        // One append is written contiguously, so nothing else can sit between its events.
        const two = await collect(store.readAll({ fromPosition: from, maxCount: 2 }));
        assert.deepEqual(
          two.map((e) => e.id),
          [appended[1]!.id, appended[2]!.id],
        );

        const rest: RecordedEvent[] = [];
        for await (const e of store.readAll({ fromPosition: from })) {
          assert.ok(!isSystem(e), `readAll yielded a system event: ${e.streamId} ${e.type}`);
          if (e.streamId === s) rest.push(e);
        }
        assert.deepEqual(
          rest.map((e) => e.revision),
          [1n, 2n, 3n],
        );
      });
    });

    describe('subscribeToAll', () => {
      it('is exclusive of `from`, catches up, then delivers live events in order; close() ends it', TIMEOUT, async () => {
        const s = streamName('sub');
        const mine = (e: RecordedEvent) => e.streamId === s;
        await store.append(s, events(3), 'no_stream');
        const [first] = await store.readStream(s);
        assert.ok(first, 'first event read back');

        const reader = new SubscriptionReader(store.subscribeToAll(first.position));
        try {
          const caughtUp = await reader.take(2, mine);
          assert.deepEqual(
            caughtUp.map((e) => e.revision),
            [1n, 2n],
          );
          assert.ok(!reader.seen.some((e) => e.id === first.id), '`from` itself is not delivered');

          await store.append(s, events(2), 2n);
          await store.append(s, events(1), 4n);
          const live = await reader.take(3, mine);
          assert.deepEqual(
            live.map((e) => e.revision),
            [3n, 4n, 5n],
          );
          const stored = await store.readStream(s);
          assert.deepEqual(
            [...caughtUp, ...live].map((e) => e.id),
            stored.slice(1).map((e) => e.id),
          );
          assert.ok(
            live.every((e, i) => samePosition(e.position, stored[3 + i]!.position)),
            'live events carry their stored positions',
          );

          const pending = reader.next();
          await reader.subscription.close();
          const end = await withTimeout(pending, WAIT_MS, 'the subscription to end after close()');
          assert.equal(end.done, true, 'close() ends iteration');
        } finally {
          await reader.subscription.close();
        }
      });

      it('loses nothing appended while it catches up', TIMEOUT, async () => {
        const s = streamName('sub_race');
        const mine = (e: RecordedEvent) => e.streamId === s;
        const total = 40;
        await store.append(s, events(5), 'no_stream');
        const [first] = await store.readStream(s);
        assert.ok(first, 'first event read back');
        const reader = new SubscriptionReader(store.subscribeToAll(first.position));
        try {
          const appending = (async () => {
            for (let revision = 4n; revision < BigInt(total) - 1n; revision++) {
              await store.append(s, [event('ContractTested', { n: Number(revision) + 1 })], revision);
            }
          })();
          const received = await reader.take(total - 1, mine);
          await appending;
          assert.deepEqual(
            received.map((e) => e.revision),
            Array.from({ length: total - 1 }, (_, i) => BigInt(i + 1)),
          );
        } finally {
          await reader.subscription.close();
        }
      });

      it('with no argument starts at the very beginning of the log', TIMEOUT, async () => {
        const s = streamName('sub_start');
        await store.append(s, events(1), 'no_stream');
        const [firstInLog] = await collect(store.readAll({ maxCount: 1 }));
        assert.ok(firstInLog, 'the log has a first event');

        const reader = new SubscriptionReader(store.subscribeToAll());
        try {
          const [first] = await reader.take(1, () => true);
          assert.ok(first, 'first event read back');
          assert.equal(first.id, firstInLog.id, 'the first event delivered is the first event of the log');
          assert.ok(samePosition(first.position, firstInLog.position), 'same position as in readAll');
          const [ours] = await reader.take(1, (e) => e.streamId === s);
          assert.equal(ours?.revision, 0n);
        } finally {
          await reader.subscription.close();
        }
      });

      it('close() ends a for-await loop that is waiting for live events', TIMEOUT, async () => {
        const s = streamName('sub_close');
        await store.append(s, events(1), 'no_stream');
        const [only] = await store.readStream(s);
        assert.ok(only, 'event read back');
        const subscription = store.subscribeToAll(only.position);
        let delivered = 0;
        const loop = (async () => {
          for await (const e of subscription) if (e.streamId === s) delivered++;
        })();
        await store.append(s, events(1), 0n);
        const deadline = Date.now() + WAIT_MS;
        while (delivered < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        assert.equal(delivered, 1);
        await subscription.close();
        await withTimeout(loop, WAIT_MS, 'the for-await loop to end after close()');
      });
    });

    describe('concurrency', () => {
      it('of 20 parallel appends expecting the same revision, exactly one wins', TIMEOUT, async () => {
        const s = streamName('race');
        await store.append(s, [event()], 'no_stream');
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => store.append(s, [event()], 0n)));
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        assert.equal(won.length, 1);
        assert.equal(lost.length, 19);
        for (const o of lost) {
          assert.ok(o.reason instanceof ConcurrencyError, `expected ConcurrencyError, got ${String(o.reason)}`);
          assert.equal(o.reason.actual, 1n);
        }
        assert.equal((await store.readStream(s)).length, 2);
      });

      it("of 20 parallel 'no_stream' appends, exactly one creates the stream", TIMEOUT, async () => {
        const s = streamName('race_create');
        const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => store.append(s, events(2), 'no_stream')));
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
        for (const o of outcomes) {
          if (o.status === 'rejected') {
            assert.ok(o.reason instanceof ConcurrencyError, `expected ConcurrencyError, got ${String(o.reason)}`);
            assert.equal(o.reason.actual, 1n);
          }
        }
        assert.deepEqual(
          (await store.readStream(s)).map((e) => e.revision),
          [0n, 1n],
        );
      });
    });
  });
}
