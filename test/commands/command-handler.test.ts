// The command handler: read → decide → append with the revision read → retry on a conflict (with a bound); and the
// folded-state cache never hides an event appended by another writer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import { ConcurrencyError, type EventStore } from '../../src/store/port.js';
import { accountHandler, type AccountHandler } from '../../src/commands/accounts.js';
import { isAccount, type UserState } from '../../src/commands/account.state.js';
import { isDomainError } from '../../src/commands/decider.js';
import { lruStateCache } from '../../src/commands/state-cache.js';
import { userStream } from '../../src/events/user.events.js';

describe('command handler', () => {
  let dir: string;
  let store: EventStore;
  let handler: AccountHandler;
  const now = new Date('2026-05-01T00:00:00Z');
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-handle-'));
    store = await openEmbeddedEventStore(dir);
    handler = accountHandler(store, lruStateCache<UserState>(), randomUUID);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const registerActive = async () => {
    const userId = randomUUID();
    const username = `u${userId.slice(0, 8)}`;
    await handler.handle(userStream(userId), {
      type: 'RegisterUser',
      userId,
      username,
      email: '',
      firstName: '',
      lastName: '',
      profile: {},
      passwordHash: 'h',
      isStaff: false,
      isSuperuser: false,
      requireActivation: false,
      now,
    });
    return userId;
  };
  const login = {
    type: 'LogIn',
    method: 'token',
    passwordMatched: true,
    lockout: { threshold: 10, seconds: 60, maxSeconds: 600 },
    recordLastLogin: true,
    now,
  } as const;

  it('retries on a concurrency conflict: 5 concurrent commands on one account all land, in one order', async () => {
    const userId = await registerActive();
    const results = await Promise.all(Array.from({ length: 5 }, () => handler.handle(userStream(userId), login)));
    assert.equal(results.filter((r) => r.appended).length, 5);
    const revisions = (await store.readStream(userStream(userId))).map((e) => Number(e.revision));
    // Each login appends two events (last_login and the login itself), and none is lost.
    assert.deepEqual(revisions, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('decides against the state as of the revision it appends after (get_or_create keeps one token)', async () => {
    const userId = await registerActive();
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        handler.handle(userStream(userId), { ...login, newToken: { tokenId: `t${i}`, keyHash: `h${i}` } }),
      ),
    );
    const created = (await store.readStream(userStream(userId))).filter((e) => e.type === 'AuthTokenCreated');
    assert.equal(created.length, 1);
  });

  it('records the metadata and schema version with every event', async () => {
    const userId = await registerActive();
    await handler.handle(userStream(userId), login, { correlationId: 'req-1', actor: `user:${userId}` });
    const last = (await store.readStream(userStream(userId))).at(-1)!;
    assert.deepEqual(last.metadata, { correlationId: 'req-1', actor: `user:${userId}`, schemaVersion: 1 });
  });

  it('sees events appended by another writer after it cached the state', async () => {
    const userId = await registerActive();
    assert.equal((await handler.load(userStream(userId))).expected, 0n);
    await store.append(userStream(userId), [{ id: randomUUID(), type: 'UserDeleted', data: { v: 1, userId, at: now.toISOString() } }], 0n);
    const { state, expected } = await handler.load(userStream(userId));
    assert.equal(expected, 1n);
    assert.equal(isAccount(state), false, 'deleted');
    assert.equal(state.status, 'deleted');
  });

  it('decides a first attempt on the state its caller loaded, and reads again when that state went stale', async () => {
    const userId = await registerActive();
    let reads = 0;
    const counting: EventStore = {
      ...store,
      readStream: (...args) => (reads++, store.readStream(...args)),
      append: (...args) => store.append(...args),
    };
    const looking = accountHandler(counting, lruStateCache<UserState>(), randomUUID);
    const loaded = await looking.load(userStream(userId));
    reads = 0;
    await looking.handle(userStream(userId), login, {}, loaded);
    assert.equal(reads, 0, 'decided on what the caller read');
    // Another writer lands in between: the append expecting the loaded revision fails, and the retry reads afresh.
    const stale = await looking.load(userStream(userId));
    await store.append(
      userStream(userId),
      [{ id: randomUUID(), type: 'UserDeleted', data: { v: 1, userId, at: now.toISOString() } }],
      stale.expected,
    );
    reads = 0;
    // Decided again on the deleted account: a login is refused as a wrong password would be.
    await assert.rejects(looking.handle(userStream(userId), login, {}, stale), (e: unknown) => isDomainError(e, 'invalid_credentials'));
    assert.ok(reads >= 1, 'read again after the conflict');
  });

  it('gives up after its attempts with write_conflict (a 503), never a raw conflict', async () => {
    const userId = await registerActive();
    // A store whose appends always lose the race.
    const losing: EventStore = {
      ...store,
      readStream: (...args) => store.readStream(...args),
      append: async (streamId, _events, expected) => {
        throw new ConcurrencyError(streamId, expected, 99n);
      },
    };
    const stubborn = accountHandler(losing, lruStateCache<UserState>(), randomUUID);
    await assert.rejects(stubborn.handle(userStream(userId), login), (e: unknown) => isDomainError(e, 'write_conflict'));
  });
});
