// The subscription runner: catches up from its checkpoint, follows live, resumes after a dropped subscription without
// losing or repeating an event, and bounds read-your-writes waits (which the HTTP layer turns into a 503).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import type { AllSubscription, EventStore, Position, RecordedEvent } from '../../src/store/port.js';
import {
  positionText,
  ReadYourWritesTimeout,
  SubscriptionRunner,
  UnreadableEventError,
  type CheckpointStore,
} from '../../src/projections/runner.js';
import { readModelProjection } from '../../src/projections/read-model.projection.js';
import { createMemoryReadModel } from '../../src/readmodel/memory.js';
import type { Logger } from '../../src/log.js';
import { silentLogger } from '../../src/log.js';
import { djoserErrors, toApiError } from '../../src/http/errors.js';

const memoryCheckpoints = (): CheckpointStore & { saved: Map<string, Position> } => {
  const saved = new Map<string, Position>();
  return { saved, load: async (n) => saved.get(n) ?? null, save: async (n, p) => void saved.set(n, p) };
};

/** A store whose live subscriptions fail after `every` events, like a server restart. */
function flaky(store: EventStore, every: number): EventStore {
  return {
    ...store,
    append: store.append.bind(store),
    readStream: store.readStream.bind(store),
    readAll: store.readAll.bind(store),
    close: store.close.bind(store),
    subscribeToAll(from?: Position): AllSubscription {
      const inner = store.subscribeToAll(from);
      return {
        close: () => inner.close(),
        async *[Symbol.asyncIterator]() {
          let n = 0;
          for await (const e of inner) {
            yield e;
            if (++n === every) throw new Error('connection reset');
          }
        },
      };
    },
  };
}

const event = (i: number) => ({ id: randomUUID(), type: 'Counted', data: { i } });

async function collect(store: EventStore): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for await (const e of store.readAll()) all.push(e);
  return all;
}

describe('SubscriptionRunner', () => {
  let dir: string;
  let store: EventStore;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-runner-'));
    store = await openEmbeddedEventStore(dir);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('catches up, follows live and survives dropped subscriptions with every event handled once, in order', async () => {
    for (let i = 0; i < 5; i++) await store.append(`count-${i}`, [event(i)], 'no_stream');
    const seen: number[] = [];
    const checkpoints = memoryCheckpoints();
    const runner = new SubscriptionRunner({
      name: 'counter',
      store: flaky(store, 3),
      checkpoints,
      handle: async (e: RecordedEvent) => void seen.push(e.data.i as number),
      log: silentLogger,
    });
    await runner.start();
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    let last: Position | null = null;
    for (let i = 5; i < 20; i++) last = (await store.append(`count-${i}`, [event(i)], 'no_stream')).position;
    await runner.waitFor(last!, 10_000);
    await runner.stop();
    assert.deepEqual(
      seen,
      Array.from({ length: 20 }, (_, i) => i),
    );
    assert.deepEqual(checkpoints.saved.get('counter'), last);
  });

  it('takes undefined from a handler as done at once, in order with the promised ones; a throw is retried like a rejection', async () => {
    const tag = randomUUID().slice(0, 8);
    for (let i = 0; i < 6; i++) await store.append(`sync-${tag}-${i}`, [event(i)], 'no_stream');
    const order: string[] = [];
    let thrown = false;
    const checkpoints = memoryCheckpoints();
    const lines: { level: string; msg: string }[] = [];
    const runner = new SubscriptionRunner({
      name: 'mixed',
      store,
      checkpoints,
      handle: (e) => {
        if (!e.streamId.startsWith(`sync-${tag}-`)) return undefined;
        const i = e.data.i as number;
        if (i === 3 && !thrown) {
          thrown = true;
          throw new Error('the read model is down'); // thrown, not rejected: retried all the same
        }
        if (i % 2 === 0) {
          order.push(`now ${i}`);
          return undefined;
        }
        return new Promise<void>((resolve) => setTimeout(() => resolve(void order.push(`later ${i}`)), 5));
      },
      log: { ...silentLogger, error: (msg: string) => void lines.push({ level: 'error', msg }) } as Logger,
    });
    await runner.start();
    assert.deepEqual(order, ['now 0', 'later 1', 'now 2', 'later 3', 'now 4', 'later 5']);
    assert.ok(
      lines.some((l) => l.msg.includes('failed, retrying')),
      'the failure was logged and retried',
    );
    const last = await store.append(`sync-${tag}-6`, [event(6)], 'no_stream');
    await runner.waitFor(last.position, 5_000); // a waiter is told by an event handled at once, too
    await runner.stop();
    assert.deepEqual(order.at(-1), 'now 6');
    assert.deepEqual(checkpoints.saved.get('mixed'), last.position);
  });

  it('resumes from its stored checkpoint after a restart', async () => {
    const checkpoints = memoryCheckpoints();
    const first: number[] = [];
    const one = new SubscriptionRunner({
      name: 'resume',
      store,
      checkpoints,
      handle: async (e) => void first.push(e.data.i as number),
      log: silentLogger,
    });
    await one.start();
    await one.stop();
    const { position } = await store.append('count-late', [event(99)], 'no_stream');
    const second: number[] = [];
    const two = new SubscriptionRunner({
      name: 'resume',
      store,
      checkpoints,
      handle: async (e) => void second.push(e.data.i as number),
      log: silentLogger,
    });
    await two.start();
    await two.waitFor(position, 5_000);
    await two.stop();
    assert.deepEqual(second, [99]);
  });

  it('started in the background: resolves before the catch-up, a stop waits for the event in hand and nothing after', async () => {
    const events = (await collect(store)).length;
    const checkpoints = memoryCheckpoints();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const seen: number[] = [];
    const runner = new SubscriptionRunner({
      name: 'background',
      store,
      checkpoints,
      // The first event is held: start-up must not wait for it.
      handle: async (e) => {
        if (seen.length === 0) await held;
        seen.push(e.data.i as number);
      },
      log: silentLogger,
    });
    const failures: unknown[] = [];
    await runner.startInBackground((error) => failures.push(error));
    assert.deepEqual(seen, [], 'resolved while the first event is still being handled');
    const stopping = runner.stop();
    release();
    await stopping;
    assert.equal(seen.length, 1, 'the event in hand is finished, then no other');
    assert.ok(seen.length < events);
    assert.deepEqual(checkpoints.saved.get('background'), (await collect(store))[0]!.position, 'its checkpoint is stored');
    assert.deepEqual(failures, []);

    // A checkpoint that cannot be read fails the start itself, not the background.
    const broken = new SubscriptionRunner({
      name: 'broken',
      store,
      checkpoints: { load: async () => Promise.reject(new Error('damaged checkpoint')), save: async () => undefined },
      handle: async () => undefined,
      log: silentLogger,
    });
    await assert.rejects(
      broken.startInBackground(() => undefined),
      /damaged checkpoint/,
    );
  });

  it('bounds the wait for a position it never reaches, and the HTTP layer answers 503', async () => {
    const runner = new SubscriptionRunner({
      name: 'idle',
      store,
      checkpoints: memoryCheckpoints(),
      handle: async () => {},
      log: silentLogger,
    });
    await runner.start();
    const never = { commit: 10n ** 12n, prepare: 10n ** 12n };
    const error = await runner.waitFor(never, 50).then(
      () => null,
      (e: unknown) => e,
    );
    await runner.stop();
    assert.ok(error instanceof ReadYourWritesTimeout, 'timed out');
    const response = toApiError(error, djoserErrors);
    assert.equal(response?.status, 503);
    assert.match(String((response?.body as { detail: string }).detail), /not visible yet/);
  });

  describe('an event its handler cannot read', () => {
    /** A logger that keeps what it is told. */
    const recording = () => {
      const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
      const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
        void lines.push({ level, msg, ...(fields ? { fields } : {}) });
      const log = { ...silentLogger, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as Logger;
      return { log, lines };
    };
    const poisoned = async (prefix: string) => {
      await store.append(`${prefix}-a`, [event(1)], 'no_stream');
      const bad = await store.append(
        `${prefix}-b`,
        [{ id: randomUUID(), type: 'Unreadable', data: { i: 2, secret: 'hunter2' } }],
        'no_stream',
      );
      await store.append(`${prefix}-c`, [event(3)], 'no_stream');
      return bad.position;
    };
    const handler = (seen: number[], prefix: string) => async (e: RecordedEvent) => {
      if (!e.streamId.startsWith(prefix)) return;
      if (e.type === 'Unreadable') throw new UnreadableEventError(`unknown event type ${e.type}`);
      seen.push(e.data.i as number);
    };

    it('stops there instead of retrying: start() resolves, the event is reported once (position, stream, type, no data)', async () => {
      const bad = await poisoned('stop');
      const seen: number[] = [];
      const { log, lines } = recording();
      const checkpoints = memoryCheckpoints();
      const runner = new SubscriptionRunner({
        name: 'stop',
        store,
        checkpoints,
        handle: handler(seen, 'stop'),
        log,
        skipSetting: 'READ_MODEL_SKIP_EVENTS',
      });
      await runner.start();
      assert.deepEqual(seen, [1]);
      assert.equal(runner.stoppedAt?.position, positionText(bad));
      assert.equal(runner.stoppedAt?.streamId, 'stop-b');
      assert.equal(runner.stoppedAt?.eventType, 'Unreadable');
      assert.ok(runner.blocked?.stopped, 'blocked names the stop');
      const errors = lines.filter((l) => l.level === 'error');
      assert.equal(errors.length, 1);
      assert.match(
        errors[0]!.msg,
        new RegExp(`position ${positionText(bad)}, stream stop-b, type Unreadable.*READ_MODEL_SKIP_EVENTS=${positionText(bad)}`),
      );
      assert.doesNotMatch(JSON.stringify(lines), /hunter2/);
      // Nothing after it is handled, live either, and its checkpoint stays before it.
      const later = await store.append('stop-d', [event(4)], 'no_stream');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(seen, [1]);
      assert.ok(checkpoints.saved.get('stop')!.commit < bad.commit);
      await assert.rejects(runner.waitFor(later.position, 50), ReadYourWritesTimeout);
      await runner.stop();
    });

    it('passes over the positions it is told to skip, logging each, and goes on', async () => {
      const bad = await poisoned('skip');
      const seen: number[] = [];
      const { log, lines } = recording();
      const runner = new SubscriptionRunner({
        name: 'skip',
        store,
        checkpoints: memoryCheckpoints(),
        handle: handler(seen, 'skip'),
        log,
        skip: new Set([positionText(bad)]),
        skipSetting: 'READ_MODEL_SKIP_EVENTS',
      });
      await runner.start();
      assert.equal(runner.stoppedAt, null);
      assert.deepEqual(seen, [1, 3]);
      assert.ok(lines.some((l) => l.level === 'warn' && l.msg.includes(`skipping the event at position ${positionText(bad)}`)));
      const later = await store.append('skip-d', [event(4)], 'no_stream');
      await runner.waitFor(later.position, 5_000);
      assert.deepEqual(seen, [1, 3, 4]);
      await runner.stop();
    });

    it('the read-model projection calls a parse failure unreadable: unknown type, unknown version, schema mismatch', async () => {
      const project = readModelProjection(createMemoryReadModel());
      const recorded = (type: string, data: Record<string, unknown>): RecordedEvent => ({
        id: randomUUID(),
        type,
        streamId: `user-${randomUUID()}`,
        revision: 0n,
        position: { commit: 1n, prepare: 1n },
        data,
        metadata: {},
        created: new Date(),
      });
      const userId = randomUUID();
      for (const [type, data, reason] of [
        ['UserTeleported', { v: 1, userId, at: new Date().toISOString() }, /unknown user event type UserTeleported/],
        ['UserActivated', { v: 7, userId, at: new Date().toISOString() }, /schema mismatch: v: /],
        ['UserActivated', { v: 1, userId: 'not an id', at: 'never' }, /schema mismatch: userId: .*at: /],
      ] as const) {
        const error = await Promise.resolve(project(recorded(type, data))).then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(error instanceof UnreadableEventError, `${type} v${String(data.v)}`);
        assert.match(error.message, reason);
        assert.doesNotMatch(error.message, /not an id|never/, 'never the data');
      }
    });
  });
});
