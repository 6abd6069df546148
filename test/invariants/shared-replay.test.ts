// A full replay on two threads (src/projections/partitioned-replay.ts) rebuilds the read model a serial one does:
// the same documents, tombstones, indexes, highest id and checkpoint; and it gives up, leaving the model empty for
// the serial replay, where its shares could not be one model.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestService } from '../support/service.js';
import { activationLink } from '../support/accounts.js';
import { createMemoryReadModel, tokenSlotsOf, userSlotsOf, type MemoryReadModel } from '../../src/readmodel/memory.js';
import { replayInShares } from '../../src/projections/partitioned-replay.js';
import { userEvent, userStream, type UserEventType } from '../../src/events/user.events.js';
import { shareOf } from '../../src/store/embedded/partition.js';
import type { EmbeddedEventStore } from '../../src/store/embedded.js';
import type { Logger } from '../../src/log.js';
import { Fixture } from '../store/helpers.js';

/** Everything the model holds, in an order of its own (a replay on two threads lays it out differently). */
function contents(model: MemoryReadModel) {
  const state = model.capture();
  const byKey =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) =>
      key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
  return {
    users: [...userSlotsOf(state)].map((u) => ({ ...u })).sort(byKey((u) => u.id)),
    tokens: [...tokenSlotsOf(state)].map((t) => ({ ...t })).sort(byKey((t) => t.userId)),
    maxIntegerId: state.maxIntegerId,
    checkpoints: [...state.checkpoints].sort(byKey(([name]) => name)),
    indexes: model.indexes(),
  };
}

function recordingLog() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push({ level, msg, ...(fields ? { fields } : {}) });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
}

describe('replay on two threads', () => {
  it('rebuilds the read model the service built as it went: documents, tombstones, indexes, ids, checkpoint', async () => {
    const first = await startTestService({ SEND_ACTIVATION_EMAIL: 'true' });
    const password = 'Sup3r-secret-pw';
    for (let i = 0; i < 12; i++) {
      const username = `shared${i}`;
      const { body } = await first.call('POST', '/auth/users/', { username, email: `${username}@example.com`, password });
      if (i % 4 === 3) continue; // left inactive
      await first.call('POST', '/auth/users/activation/', await activationLink(first, body.id));
      const { auth_token } = (await first.call('POST', '/auth/token/login/', { username, password })).body;
      const auth = { Authorization: `Token ${auth_token}` };
      if (i % 3 === 0) await first.call('POST', '/auth/jwt/create/', { username, password });
      if (i === 1) await first.call('PATCH', '/auth/users/me/', { email: 'changed@example.com', first_name: 'Ada' }, auth);
      if (i === 2) await first.call('POST', '/auth/users/set_username/', { current_password: password, new_username: 'renamed2' }, auth);
      if (i === 5) await first.call('POST', '/auth/token/logout/', undefined, auth);
      if (i === 6) await first.call('DELETE', '/auth/users/me/', { current_password: password }, auth);
    }
    // The newest account in the worker's share: its highest id must come back from there.
    for (let n = 0; ; n++) {
      const { body } = await first.call('POST', '/auth/users/', { username: `extra${n}`, email: `extra${n}@example.com`, password });
      if (shareOf(Buffer.from(userStream(String(body.id))), 2) === 1) break;
    }
    const live = contents(first.readModel as MemoryReadModel);
    await first.close();

    const { log, lines } = recordingLog();
    const again = await startTestService({ SEND_ACTIVATION_EMAIL: 'true', FULL_REPLAY: 'true' }, first, { log, sharedReplayEvents: 0 });
    try {
      const replayed = lines.find((l) => l.msg.includes('on two threads'));
      assert.equal(replayed?.level, 'info', JSON.stringify(lines.filter((l) => l.level !== 'debug')));
      assert.deepEqual(contents(again.readModel as MemoryReadModel), live);
      assert.ok(
        live.users.length >= 13 && live.tokens.length >= 8 && live.maxIntegerId === live.users.length,
        'the scenario left users, a tombstone and tokens',
      );
      // And the service answers from it.
      assert.equal((await again.call('POST', '/auth/token/login/', { username: 'renamed2', password })).status, 200);
      assert.equal((await again.call('POST', '/auth/token/login/', { username: 'shared6', password })).status, 400);
    } finally {
      await again.dispose();
    }
  });
});

describe('replay on two threads: when its shares cannot be one model', () => {
  const fx = new Fixture();
  afterEach(() => fx.cleanup());

  /** Two fresh account ids whose streams fall in different shares. */
  function idsInBothShares(): [string, string] {
    const shareOfId = (id: string) => shareOf(Buffer.from(userStream(id)), 2);
    const a = randomUUID();
    let b = randomUUID();
    while (shareOfId(b) === shareOfId(a)) b = randomUUID();
    return [a, b];
  }

  const append = (store: EmbeddedEventStore, stream: string, type: UserEventType, data: Record<string, unknown>) => {
    const e = userEvent(type, data as never);
    return store.append(stream, [{ id: randomUUID(), type: e.type, data: e.data as Record<string, unknown> }], 'any');
  };
  const registered = (userId: string, username: string) => ({
    userId,
    username,
    email: `${username}@example.com`,
    firstName: '',
    lastName: '',
    profile: {},
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$' + 'x'.repeat(43),
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    at: new Date(0).toISOString(),
  });

  async function replay(store: EmbeddedEventStore) {
    const { log, lines } = recordingLog();
    const model = createMemoryReadModel();
    const done = await replayInShares({ model, store, keys: null, log, minEvents: 0 });
    return { done, model, warnings: lines.filter((l) => l.level === 'warn').map((l) => String(l.fields?.error)) };
  }

  it('gives up at a username held in both shares (a log the write side would never write), leaving the model empty', async () => {
    const store = await fx.open(await fx.dir());
    const [a, b] = idsInBothShares();
    await append(store, userStream(a), 'UserRegistered', registered(a, 'twin'));
    await append(store, userStream(b), 'UserRegistered', registered(b, 'twin'));
    const { done, model, warnings } = await replay(store);
    assert.equal(done, 0);
    assert.equal(await model.countUsers(), 0);
    assert.equal(await model.loadCheckpoint('read-model'), null);
    assert.match(warnings.join('\n'), /the username key of user .* is held by another account too/);
  });

  it('gives up at an event about an account not its stream’s (the shares would not be disjoint)', async () => {
    const store = await fx.open(await fx.dir());
    const [a, b] = idsInBothShares();
    await append(store, userStream(a), 'UserRegistered', registered(a, 'alpha'));
    await append(store, userStream(b), 'UserActivated', { userId: a, at: new Date(0).toISOString() });
    const { done, warnings } = await replay(store);
    assert.equal(done, 0);
    assert.match(warnings.join('\n'), /is about another account/);
  });

  it('merges two shares that are one model', async () => {
    const store = await fx.open(await fx.dir());
    const [a, b] = idsInBothShares();
    await append(store, userStream(a), 'UserRegistered', registered(a, 'alpha'));
    await append(store, userStream(b), 'UserRegistered', registered(b, 'beta'));
    const { done, model } = await replay(store);
    assert.equal(done, 2);
    assert.deepEqual((await model.listUsers({ offset: 0, limit: 10 })).map((u) => u.username).sort(), ['alpha', 'beta']);
    assert.deepEqual(await model.loadCheckpoint('read-model'), { commit: 2n, prepare: 2n });
  });

  it('replays a log below its threshold on this thread, with the same checks', async () => {
    const store = await fx.open(await fx.dir());
    const [a, b] = idsInBothShares();
    await append(store, userStream(a), 'UserRegistered', registered(a, 'alpha'));
    await append(store, `reservation-username-${a}`, 'UserActivated', { userId: a, at: new Date(0).toISOString() });
    const model = createMemoryReadModel();
    const { log, lines } = recordingLog();
    assert.equal(await replayInShares({ model, store, keys: null, log, minEvents: 10 }), 1);
    assert.match(lines.map((l) => l.msg).join('\n'), /^read model: replayed 2 events in /);
    assert.deepEqual(
      (await model.listUsers({ offset: 0, limit: 10 })).map((u) => u.username),
      ['alpha'],
    );
    // The last account event: the runner reads what follows it.
    assert.deepEqual(await model.loadCheckpoint('read-model'), { commit: 1n, prepare: 1n });

    await append(store, userStream(b), 'UserActivated', { userId: a, at: new Date(0).toISOString() });
    const again = createMemoryReadModel();
    const second = recordingLog();
    assert.equal(await replayInShares({ model: again, store, keys: null, log: second.log, minEvents: 10 }), 0);
    assert.equal(await again.countUsers(), 0);
    assert.match(String(second.lines.find((l) => l.level === 'warn')?.fields?.error), /is about another account/);
  });
});
