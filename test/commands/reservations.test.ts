// Write-side uniqueness against a real store: one claimant wins; a reservation left by a failed registration is
// reclaimed after the grace period, fencing the late registration out; renamed and deleted holders free the name.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import { ConcurrencyError, type EventStore } from '../../src/store/port.js';
import { accountHandler, accounts as accountsOf, type Accounts } from '../../src/commands/accounts.js';
import { reservations as reservationsOf, type Reservations } from '../../src/commands/reservations.js';
import { CLAIM_GRACE_MS } from '../../src/commands/reservation.rules.js';
import { isDomainError } from '../../src/commands/decider.js';
import { noStateCache } from '../../src/commands/state-cache.js';
import { legacyReservationStream, reservationEvent, reservationStream } from '../../src/events/reservation.events.js';

const SECRET = 'reservations-test-secret-key-0123456789abcdef';

let dir: string;
let store: EventStore;
let accounts: Accounts;
let names: Reservations;
let clock = new Date('2026-03-01T00:00:00Z');
const taken = (e: unknown) => isDomainError(e, 'taken');

const register = (userId: string, username: string) =>
  accounts.execute(userId, {
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
    now: clock,
  });

describe('reservations', () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-res-'));
    store = await openEmbeddedEventStore(dir);
    accounts = accountsOf(accountHandler(store, noStateCache(), randomUUID), async () => {});
    names = reservationsOf({ store, accounts, namingKey: SECRET, newEventId: randomUUID, now: () => clock });
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('names a stream by a keyed hash of the value, never the value', async () => {
    await names.claim('username', 'hashed.name', randomUUID());
    const streams = new Set<string>();
    for await (const e of store.readAll()) streams.add(e.streamId);
    assert.ok([...streams].some((s) => /^reservation-username-[0-9a-f]{40}$/.test(s)));
    assert.ok(![...streams].some((s) => s.includes('hashed.name')));
  });

  it('carries a holder over from a stream an older version named by the value, once', async () => {
    const old = randomUUID();
    await register(old, 'veteran');
    const held = reservationEvent('NameReserved', { userId: old, at: clock.toISOString() });
    await store.append(
      legacyReservationStream('username', 'veteran'),
      [{ id: randomUUID(), type: held.type, data: held.data }],
      'no_stream',
    );
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => names.claim('username', 'veteran', randomUUID())));
    assert.ok(
      results.every((r) => r.status === 'rejected' && taken(r.reason)),
      'the old holder keeps its name',
    );
    const copied = await store.readStream(reservationStream(SECRET, 'username', 'veteran'));
    assert.deepEqual(
      copied.map((e) => [e.type, e.data.userId]),
      [['NameReserved', old]],
    );
  });

  it('lets exactly one of many concurrent claimants win', async () => {
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const results = await Promise.allSettled(ids.map((id) => names.claim('username', 'race', id)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(
      results.every((r) => r.status === 'fulfilled' || taken(r.reason)),
      'every loser was told the name is taken',
    );
  });

  it('is idempotent for the holder', async () => {
    const id = randomUUID();
    await names.claim('username', 'idem', id);
    await names.claim('username', 'idem', id);
    assert.equal((await store.readStream(reservationStream(SECRET, 'username', 'idem'))).length, 1);
  });

  it('holds a name whose registration is still in flight, then reclaims it after the grace period', async () => {
    const slow = randomUUID();
    await names.claim('username', 'crashed', slow); // its registration never happens
    const other = randomUUID();
    await assert.rejects(names.claim('username', 'crashed', other), taken);
    clock = new Date(clock.getTime() + CLAIM_GRACE_MS + 1);
    await names.claim('username', 'crashed', other);
    // The late registration is fenced out for good: its stream is voided.
    await assert.rejects(register(slow, 'crashed'), (e: unknown) => isDomainError(e, 'stale_facts'));
    assert.deepEqual(
      (await store.readStream(`user-${slow}`)).map((e) => e.type),
      ['RegistrationVoided'],
    );
  });

  it('keeps a name backed by a registered account, however old the reservation', async () => {
    const holder = randomUUID();
    await names.claim('username', 'kept', holder);
    await register(holder, 'Kept');
    clock = new Date(clock.getTime() + 10 * CLAIM_GRACE_MS);
    await assert.rejects(names.claim('username', 'kept', randomUUID()), taken);
    // release() never frees a name its account still has.
    await names.release('username', 'kept', holder);
    await assert.rejects(names.claim('username', 'kept', randomUUID()), taken);
  });

  it('holds a name an account is renaming to, then fences out a rename that died', async () => {
    const renamer = randomUUID();
    await names.claim('username', 'renamer', renamer);
    await register(renamer, 'renamer');
    // The rename's first half: read the stream, claim the new name; then the process stalls.
    const revision = (await store.readStream(`user-${renamer}`)).at(-1)!.revision;
    await names.claim('username', 'wanted', renamer);
    // Within the grace period the name counts as taken.
    await assert.rejects(names.claim('username', 'wanted', randomUUID()), taken);
    // After it, another account reclaims it, fencing the stalled rename out.
    clock = new Date(clock.getTime() + CLAIM_GRACE_MS + 1);
    await names.claim('username', 'wanted', randomUUID());
    const late = {
      id: randomUUID(),
      type: 'UsernameChanged',
      data: { v: 1, userId: renamer, username: 'wanted', reason: 'set', at: clock.toISOString() },
    };
    await assert.rejects(store.append(`user-${renamer}`, [late], revision), ConcurrencyError);
    // Re-decided on the new state, the rename is refused (its claim is void), and claiming again finds the name taken.
    await assert.rejects(
      accounts.execute(renamer, {
        type: 'SetLoginName',
        field: 'username',
        value: 'wanted',
        verifiedHash: 'h',
        claimsVoidedBefore: 0,
        now: clock,
      }),
      (e: unknown) => isDomainError(e, 'stale_facts'),
    );
    await assert.rejects(names.claim('username', 'wanted', renamer), taken);
    assert.deepEqual(
      (await store.readStream(`user-${renamer}`)).map((e) => e.type),
      ['UserRegistered', 'ClaimVoided'],
    );
  });

  it('frees the name of a deleted or renamed account', async () => {
    const deleted = randomUUID();
    await names.claim('username', 'gone', deleted);
    await register(deleted, 'gone');
    await accounts.execute(deleted, { type: 'DeleteUser', authority: { kind: 'own', verifiedHash: 'h' }, now: clock });
    await names.claim('username', 'gone', randomUUID());

    const renamed = randomUUID();
    await names.claim('username', 'old-name', renamed);
    await register(renamed, 'old-name');
    await accounts.execute(renamed, {
      type: 'SetLoginName',
      field: 'username',
      value: 'new-name',
      verifiedHash: 'h',
      claimsVoidedBefore: 0,
      now: clock,
    });
    await names.release('username', 'old-name', renamed);
    await names.claim('username', 'old-name', randomUUID());
  });
});
