// The relay at an account event it cannot read (a later release's type or version): it stops there, says where in
// /health's terms (position, type, the setting that skips it), and publishes nothing after it — subscribers must not
// silently miss an event. With RELAY_SKIP_EVENTS naming the position it passes over that one event and goes on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import type { EventStore, Position } from '../../src/store/port.js';
import { userEvent, userStream } from '../../src/events/user.events.js';
import { positionText, type CheckpointStore } from '../../src/projections/runner.js';
import { Relay } from '../../src/amqp/relay.js';
import type { EventBus, Lease, OutgoingMessage } from '../../src/amqp/bus.js';
import { silentLogger } from '../../src/log.js';

/** A bus that grants its lease at once and keeps what is published. */
function recordingBus(): EventBus & { published: OutgoingMessage[] } {
  const published: OutgoingMessage[] = [];
  const lease: Lease = {
    publish: async (message) => void published.push(message),
    lost: new Promise(() => {}),
    release: async () => {},
  };
  return {
    kind: 'in-process',
    published,
    lease: async () => lease,
    consume: async () => ({ close: async () => {} }),
    status: () => ({}),
    close: async () => {},
  };
}

const memoryCheckpoints = (): CheckpointStore => {
  const saved = new Map<string, Position>();
  return { load: async (n) => saved.get(n) ?? null, save: async (n, p) => void saved.set(n, p) };
};

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), what);
};

describe('the relay at an event it cannot read', () => {
  let dir: string;
  let store: EventStore;
  let unreadable: string;
  const userId = randomUUID();
  const at = new Date().toISOString();
  const activated = userEvent('UserActivated', { userId, at });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-relay-'));
    store = await openEmbeddedEventStore(dir);
    const stream = userStream(userId);
    const append = (type: string, data: Record<string, unknown>) =>
      store.append(stream, [{ id: randomUUID(), type, data, metadata: {} }], 'any');
    await append(activated.type, activated.data as Record<string, unknown>);
    unreadable = positionText((await append('UserActivated', { v: 99, userId, at, planet: 'Mars' })).position);
    await append(activated.type, activated.data as Record<string, unknown>);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const relayWith = (bus: EventBus, skip?: Set<string>) =>
    new Relay({
      bus,
      store,
      checkpoints: memoryCheckpoints(),
      name: 'relay-test',
      lease: 'l',
      source: '/t',
      log: silentLogger,
      ...(skip ? { skip } : {}),
    });

  it('stops there, names it and the setting, and publishes nothing after it', async () => {
    const bus = recordingBus();
    const relay = relayWith(bus);
    relay.start();
    try {
      await until('the relay reports where it stopped', () => relay.blocked?.stopped !== undefined);
      const blocked = relay.blocked!;
      assert.equal(blocked.stopped!.position, unreadable);
      assert.equal(blocked.stopped!.eventType, 'UserActivated');
      assert.equal(blocked.stopped!.skipSetting, 'RELAY_SKIP_EVENTS');
      assert.doesNotMatch(JSON.stringify(blocked), /Mars/, 'never the event’s data');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(bus.published.length, 1, 'only the event before it');
    } finally {
      await relay.stop();
    }
  });

  it('with RELAY_SKIP_EVENTS naming it, passes over that one event and publishes the rest', async () => {
    const bus = recordingBus();
    const relay = relayWith(bus, new Set([unreadable]));
    relay.start();
    try {
      await until('both readable events are published', () => bus.published.length === 2);
      assert.equal(relay.blocked, null);
      assert.doesNotMatch(bus.published.map((m) => m.body.toString('utf8')).join(), /Mars/);
    } finally {
      await relay.stop();
    }
  });
});
