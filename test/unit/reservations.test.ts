// Write-side uniqueness: one claimant wins; a reservation left by a failed registration is reclaimed after the grace
// period, fencing the late registration out; released, renamed and deleted holders free the name.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import { ConcurrencyError, type EventStore } from '../../src/store/port.js';
import { claim, NameTakenError, release, CLAIM_GRACE_MS, type ReservationDeps } from '../../src/commands/reservations.js';
import { handleUserCommands, loadUser } from '../../src/commands/handle.js';
import { UserRuleError, type UserCommand } from '../../src/commands/user.decider.js';

let dir: string;
let store: EventStore;
let clock = new Date('2026-03-01T00:00:00Z');
const deps = (): ReservationDeps => ({ store, newEventId: randomUUID, now: () => clock });

const registration = (userId: string, username: string): UserCommand & { now: Date } => ({
  type: 'RegisterUser', userId, username, email: '', firstName: '', lastName: '', passwordHash: 'h', requireActivation: false, now: clock,
});
const register = (userId: string, username: string) => handleUserCommands(store, randomUUID, userId, () => [registration(userId, username)]);
const taken = (e: unknown) => e instanceof NameTakenError && e.field === 'username';

describe('reservations', () => {
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-res-'));
    store = await openEmbeddedEventStore(dir);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lets exactly one of many concurrent claimants win', async () => {
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const results = await Promise.allSettled(ids.map((id) => claim(deps(), 'username', 'race', id)));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(results.every((r) => r.status === 'fulfilled' || taken(r.reason)), 'every loser was told the name is taken');
  });

  it('is idempotent for the holder', async () => {
    const id = randomUUID();
    await claim(deps(), 'username', 'idem', id);
    await claim(deps(), 'username', 'idem', id);
  });

  it('holds a name whose registration is still in flight, then reclaims it after the grace period', async () => {
    const slow = randomUUID();
    await claim(deps(), 'username', 'crashed', slow); // its registration never happens
    const other = randomUUID();
    await assert.rejects(claim(deps(), 'username', 'crashed', other), taken);
    clock = new Date(clock.getTime() + CLAIM_GRACE_MS + 1);
    await claim(deps(), 'username', 'crashed', other);
    // The late registration is fenced out for good.
    await assert.rejects(register(slow, 'crashed'), (e: unknown) => e instanceof UserRuleError && e.code === 'already_exists');
  });

  it('keeps a name backed by a registered account, however old the reservation', async () => {
    const holder = randomUUID();
    await claim(deps(), 'username', 'kept', holder);
    await register(holder, 'Kept');
    clock = new Date(clock.getTime() + 10 * CLAIM_GRACE_MS);
    await assert.rejects(claim(deps(), 'username', 'kept', randomUUID()), taken);
    // release() never frees a name its account still has.
    await release(deps(), 'username', 'kept', holder);
    await assert.rejects(claim(deps(), 'username', 'kept', randomUUID()), taken);
  });

  it('holds a name an account is renaming to, then fences out a rename that died', async () => {
    const renamer = randomUUID();
    await claim(deps(), 'username', 'renamer', renamer);
    await register(renamer, 'renamer');
    // The rename's first half: read the stream, claim the new name; then the process stalls.
    const { expected } = await loadUser(store, renamer);
    await claim(deps(), 'username', 'wanted', renamer);
    // Within the grace period the name counts as taken.
    await assert.rejects(claim(deps(), 'username', 'wanted', randomUUID()), taken);
    // After it, another account reclaims it, fencing the stalled rename out.
    clock = new Date(clock.getTime() + CLAIM_GRACE_MS + 1);
    await claim(deps(), 'username', 'wanted', randomUUID());
    const late = { id: randomUUID(), type: 'UsernameChanged', data: { v: 1, userId: renamer, username: 'wanted', reason: 'set', at: clock.toISOString() } };
    await assert.rejects(store.append(`user-${renamer}`, [late], expected), ConcurrencyError);
    // Its retry claims again and finds the name taken.
    await assert.rejects(claim(deps(), 'username', 'wanted', renamer), taken);
    assert.deepEqual((await store.readStream(`user-${renamer}`)).map((e) => e.type), ['UserRegistered', 'ClaimVoided']);
  });

  it('frees the name of a deleted or renamed account', async () => {
    const deleted = randomUUID();
    await claim(deps(), 'username', 'gone', deleted);
    await register(deleted, 'gone');
    await handleUserCommands(store, randomUUID, deleted, () => [{ type: 'DeleteUser', now: clock }]);
    await claim(deps(), 'username', 'gone', randomUUID());

    const renamed = randomUUID();
    await claim(deps(), 'username', 'old-name', renamed);
    await register(renamed, 'old-name');
    await handleUserCommands(store, randomUUID, renamed, () => [{ type: 'SetUsername', username: 'new-name', now: clock }]);
    await release(deps(), 'username', 'old-name', renamed);
    await claim(deps(), 'username', 'old-name', randomUUID());
  });
});
