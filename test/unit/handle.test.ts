// The command handler: read → decide → append with the revision read → retry on a conflict; and the folded-state
// cache never hides an event appended by another writer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import type { EventStore } from '../../src/store/port.js';
import { handleUserCommands, loadUser } from '../../src/commands/handle.js';
import { isAccount } from '../../src/commands/user.decider.js';

describe('command handler', () => {
  let dir: string;
  let store: EventStore;
  const now = new Date('2026-05-01T00:00:00Z');
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-handle-'));
    store = await openEmbeddedEventStore(dir);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const registerActive = async () => {
    const userId = randomUUID();
    await handleUserCommands(store, randomUUID, userId, () => [
      { type: 'RegisterUser', userId, username: `u${userId.slice(0, 8)}`, email: '', firstName: '', lastName: '', passwordHash: 'h', requireActivation: false, now },
    ]);
    return userId;
  };

  it('retries on a concurrency conflict: 5 concurrent commands on one account all land, in one order', async () => {
    const userId = await registerActive();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => handleUserCommands(store, randomUUID, userId, () => [{ type: 'RecordLogin', now }])),
    );
    assert.equal(results.filter((r) => r.appended).length, 5);
    const revisions = (await store.readStream(`user-${userId}`)).map((e) => Number(e.revision));
    assert.deepEqual(revisions, [0, 1, 2, 3, 4, 5]);
  });

  it('decides against the state as of the revision it appends after (get_or_create keeps one token)', async () => {
    const userId = await registerActive();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        handleUserCommands(store, randomUUID, userId, () => [{ type: 'CreateAuthToken', tokenId: `t${i}`, keyHash: `h${i}`, now }]),
      ),
    );
    const created = (await store.readStream(`user-${userId}`)).filter((e) => e.type === 'AuthTokenCreated');
    assert.equal(created.length, 1);
  });

  it('sees events appended by another writer after it cached the state', async () => {
    const userId = await registerActive();
    assert.equal((await loadUser(store, userId)).expected, 0n);
    await store.append(`user-${userId}`, [{ id: randomUUID(), type: 'UserDeleted', data: { v: 1, userId, at: now.toISOString() } }], 0n);
    const { state, expected } = await loadUser(store, userId);
    assert.equal(expected, 1n);
    assert.equal(isAccount(state), false, 'deleted');
    assert.equal(state.status, 'deleted');
  });
});
