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
import { ReadYourWritesTimeout, SubscriptionRunner, type CheckpointStore } from '../../src/projections/runner.js';
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
});
