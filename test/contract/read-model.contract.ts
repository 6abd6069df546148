// The read-model contract: every adapter (memory, MongoDB) must pass it.
// Ids, names, hashes and checkpoint names carry a random suffix so the suite can run against a shared real server;
// only the last test (clear) touches data it did not create, so the adapter under test must use its own database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AuthTokenDoc, ReadModel, UserDoc } from '../../src/readmodel/port.js';
import { ReadModelConflictError } from '../../src/readmodel/errors.js';
import { describeUnless } from '../support/skip.js';

const suffix = (): string => randomBytes(6).toString('hex');

/** A user document of its own (random suffix), with `overrides`. */
export function newUser(overrides: Partial<UserDoc> = {}): UserDoc {
  const s = suffix();
  return {
    id: `user-${s}`,
    username: `Alice_${s}`,
    usernameKey: `alice_${s}`,
    email: `Alice.${s}@Example.com`,
    emailKey: `alice.${s}@example.com`,
    firstName: 'Alice',
    lastName: 'Liddell',
    profile: {},
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    sessionEpoch: 0,
    revokedSessions: [],
    // Millisecond precision: the most BSON dates keep.
    dateJoined: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
    lastLogin: null,
    revision: 0,
    ...overrides,
  };
}

const hash = (): string => randomBytes(32).toString('hex');
const byId = (a: UserDoc, b: UserDoc): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function readModelContract(
  name: string,
  open: () => Promise<{ model: ReadModel; cleanup?: () => Promise<void> }>,
  options: { skip?: string | false } = {},
): void {
  describeUnless(`read model contract: ${name}`, options.skip ?? false, () => {
    let model: ReadModel;
    let cleanup: (() => Promise<void>) | undefined;

    before(async () => {
      ({ model, cleanup } = await open());
    });
    after(async () => {
      await model?.close();
      await cleanup?.();
    });

    async function assertGone(user: UserDoc): Promise<void> {
      assert.equal(await model.findUserById(user.id), null);
      assert.equal(await model.findUserByUsername(user.usernameKey), null);
      assert.deepEqual(await model.findUsersByEmail(user.emailKey), []);
    }

    describe('users', () => {
      it('insertUser then finds the user by id, usernameKey and emailKey', async () => {
        const user = newUser();
        assert.equal(await model.insertUser(user), true);
        assert.deepEqual(await model.findUserById(user.id), user);
        assert.deepEqual(await model.findUserByUsername(user.usernameKey), user);
        assert.deepEqual(await model.findUsersByEmail(user.emailKey), [user]);
        assert.equal(await model.findUserById(`missing-${suffix()}`), null);
        assert.equal(await model.findUserByUsername(`missing_${suffix()}`), null);
        assert.deepEqual(await model.findUsersByEmail(`missing.${suffix()}@example.com`), []);
      });

      it('insertUser twice is a no-op that keeps the first document', async () => {
        const user = newUser();
        assert.equal(await model.insertUser(user), true);
        assert.equal(await model.insertUser({ ...user, firstName: 'Other', revision: 3 }), false);
        assert.deepEqual(await model.findUserById(user.id), user);
      });

      it('refuses a second user with a taken usernameKey (a projection bug)', async () => {
        const first = newUser();
        await model.insertUser(first);
        const second = newUser({ usernameKey: first.usernameKey });
        await assert.rejects(model.insertUser(second), ReadModelConflictError);
        assert.equal(await model.findUserById(second.id), null);
        assert.deepEqual(await model.findUserByUsername(first.usernameKey), first);

        const third = newUser({ revision: 0 });
        await model.insertUser(third);
        await assert.rejects(model.updateUser(third.id, 1, { usernameKey: first.usernameKey }), ReadModelConflictError);
        assert.deepEqual(await model.findUserById(third.id), third);
      });

      it('updateUser applies only a revision newer than the stored one', async () => {
        const user = newUser();
        await model.insertUser(user);
        assert.equal(await model.updateUser(user.id, 1, { firstName: 'Alicia' }), true);
        const updated = { ...user, firstName: 'Alicia', revision: 1 };
        assert.deepEqual(await model.findUserById(user.id), updated);

        // Replaying the same revision, or an older one, changes nothing.
        assert.equal(await model.updateUser(user.id, 1, { firstName: 'Replayed' }), false);
        assert.equal(await model.updateUser(user.id, 0, { firstName: 'Older' }), false);
        assert.deepEqual(await model.findUserById(user.id), updated);

        // Revisions may skip (events the projection ignores); an older one arriving later is still refused.
        assert.equal(await model.updateUser(user.id, 5, { isActive: false }), true);
        assert.equal(await model.updateUser(user.id, 3, { isActive: true }), false);
        assert.deepEqual(await model.findUserById(user.id), { ...updated, isActive: false, revision: 5 });

        assert.equal(await model.updateUser(`missing-${suffix()}`, 1, { firstName: 'Nobody' }), false);
      });

      it('updateUser of usernameKey and emailKey moves the lookups', async () => {
        const user = newUser();
        await model.insertUser(user);
        const s = suffix();
        const patch = { username: `Bob_${s}`, usernameKey: `bob_${s}`, email: `bob.${s}@x.org`, emailKey: `bob.${s}@x.org` };
        assert.equal(await model.updateUser(user.id, 1, patch), true);
        const updated = { ...user, ...patch, revision: 1 };
        assert.equal(await model.findUserByUsername(user.usernameKey), null);
        assert.deepEqual(await model.findUsersByEmail(user.emailKey), []);
        assert.deepEqual(await model.findUserByUsername(patch.usernameKey), updated);
        assert.deepEqual(await model.findUsersByEmail(patch.emailKey), [updated]);
      });

      it('deleteUser removes the user and their token, frees username and email, and cannot be undone by replays', async () => {
        const user = newUser();
        const tokenHash = hash();
        await model.insertUser(user);
        await model.updateUser(user.id, 1, { firstName: 'Alicia' });
        await model.setToken(user.id, 2, { keyHash: tokenHash, created: new Date() });

        assert.equal(await model.deleteUser(user.id, 3), true);
        await assertGone(user);
        assert.equal(await model.findToken(tokenHash), null);

        // Redelivered older events: nothing comes back.
        assert.equal(await model.deleteUser(user.id, 3), false);
        assert.equal(await model.insertUser(user), false);
        assert.equal(await model.updateUser(user.id, 1, { firstName: 'Zombie' }), false);
        assert.equal(await model.setToken(user.id, 2, { keyHash: tokenHash, created: new Date() }), false);
        await assertGone(user);
        assert.equal(await model.findToken(tokenHash), null);

        // The username and email are free again at once.
        const successor = newUser({ username: user.username, usernameKey: user.usernameKey, email: user.email, emailKey: user.emailKey });
        assert.equal(await model.insertUser(successor), true);
        assert.deepEqual(await model.findUserByUsername(user.usernameKey), successor);
        assert.deepEqual(await model.findUsersByEmail(user.emailKey), [successor]);
      });

      it('deleteUser with an older revision than the stored one changes nothing', async () => {
        const user = newUser({ revision: 4 });
        await model.insertUser(user);
        assert.equal(await model.deleteUser(user.id, 4), false);
        assert.equal(await model.deleteUser(user.id, 2), false);
        assert.deepEqual(await model.findUserById(user.id), user);
      });

      it('findUsersByEmail returns every user with the email when emails are not unique; "" never matches', async () => {
        const a = newUser();
        const b = newUser({ email: a.email.toUpperCase(), emailKey: a.emailKey });
        await model.insertUser(a);
        await model.insertUser(b);
        assert.deepEqual((await model.findUsersByEmail(a.emailKey)).sort(byId), [a, b].sort(byId));

        await model.insertUser(newUser({ email: '', emailKey: '' }));
        await model.insertUser(newUser({ email: '', emailKey: '' }));
        assert.deepEqual(await model.findUsersByEmail(''), []);
      });

      it('Date fields, booleans and null lastLogin round trip', async () => {
        const user = newUser({ isActive: false, lastLogin: new Date(Date.UTC(2025, 5, 6, 7, 8, 9, 10)) });
        await model.insertUser(user);
        assert.deepEqual(await model.findUserById(user.id), user);

        assert.equal(await model.updateUser(user.id, 1, { lastLogin: null }), true);
        const cleared = await model.findUserById(user.id);
        assert.ok(cleared, 'user found after clear and re-insert');
        assert.equal(cleared.lastLogin, null);
        assert.ok(cleared.dateJoined instanceof Date, 'dateJoined is a Date');
        assert.equal(cleared.dateJoined.getTime(), user.dateJoined.getTime());

        const login = new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 999));
        assert.equal(await model.updateUser(user.id, 2, { lastLogin: login }), true);
        assert.deepEqual(await model.findUserById(user.id), { ...user, lastLogin: login, revision: 2 });
      });

      it('callers cannot change stored state through documents they passed in or got back', async () => {
        const user = newUser();
        const input = { ...user, dateJoined: new Date(user.dateJoined) };
        await model.insertUser(input);
        (input as { firstName: string }).firstName = 'Mutated';
        input.dateJoined.setTime(0);

        const found = await model.findUserById(user.id);
        assert.ok(found, 'user found');
        try {
          (found as { firstName: string }).firstName = 'Mutated';
        } catch {
          // Frozen documents refuse the write: equally fine.
        }
        found.dateJoined.setTime(0);
        assert.deepEqual(await model.findUserById(user.id), user);
      });
    });

    describe('auth tokens', () => {
      it('setToken sets, replaces and removes the token, guarded by revision', async () => {
        const userId = `user-${suffix()}`;
        const [h1, h2, h3] = [hash(), hash(), hash()];
        const created = new Date(Date.UTC(2024, 1, 2, 3, 4, 5, 6));

        assert.equal(await model.setToken(userId, 1, { keyHash: h1, created }), true);
        assert.deepEqual(await model.findToken(h1), { userId, keyHash: h1, created, revision: 1 } satisfies AuthTokenDoc);

        assert.equal(await model.setToken(userId, 2, { keyHash: h2, created }), true);
        assert.equal(await model.findToken(h1), null);
        assert.deepEqual(await model.findToken(h2), { userId, keyHash: h2, created, revision: 2 });

        // Same or older revision: no change.
        assert.equal(await model.setToken(userId, 2, { keyHash: h3, created }), false);
        assert.equal(await model.setToken(userId, 1, { keyHash: h3, created }), false);
        assert.equal(await model.findToken(h3), null);
        assert.deepEqual(await model.findToken(h2), { userId, keyHash: h2, created, revision: 2 });

        // Removal is guarded too, and an older redelivered set does not bring the token back.
        assert.equal(await model.setToken(userId, 1, null), false);
        assert.equal(await model.setToken(userId, 3, null), true);
        assert.equal(await model.findToken(h2), null);
        assert.equal(await model.setToken(userId, 2, { keyHash: h2, created }), false);
        assert.equal(await model.findToken(h2), null);

        assert.equal(await model.setToken(userId, 4, { keyHash: h3, created }), true);
        assert.deepEqual(await model.findToken(h3), { userId, keyHash: h3, created, revision: 4 });
        assert.equal(await model.findToken(hash()), null);
      });

      it("refuses another user's token hash (a projection bug) and leaves both users' tokens as they were", async () => {
        const [alice, bob] = [`user-${suffix()}`, `user-${suffix()}`];
        const [shared, bobs] = [hash(), hash()];
        const created = new Date();
        await model.setToken(alice, 1, { keyHash: shared, created });
        await model.setToken(bob, 1, { keyHash: bobs, created });

        await assert.rejects(model.setToken(bob, 2, { keyHash: shared, created }), ReadModelConflictError);
        assert.equal((await model.findToken(shared))?.userId, alice);
        assert.deepEqual(await model.findToken(bobs), { userId: bob, keyHash: bobs, created, revision: 1 });

        // Nothing was half-applied: Bob's next real token still goes through.
        const next = hash();
        assert.equal(await model.setToken(bob, 2, { keyHash: next, created }), true);
        assert.equal((await model.findToken(next))?.userId, bob);
      });
    });

    describe('checkpoints', () => {
      it('loads null before any save, and round-trips bigints beyond 2^53', async () => {
        const name = `projection-${suffix()}`;
        assert.equal(await model.loadCheckpoint(name), null);
        const position = { commit: 2n ** 60n + 7n, prepare: 2n ** 60n + 3n };
        await model.saveCheckpoint(name, position);
        assert.deepEqual(await model.loadCheckpoint(name), position);

        const top = { commit: 2n ** 64n - 1n, prepare: 2n ** 64n - 1n };
        await model.saveCheckpoint(name, top);
        assert.deepEqual(await model.loadCheckpoint(name), top);
      });

      it('never moves a checkpoint backwards', async () => {
        const name = `projection-${suffix()}`;
        const at = { commit: 10n ** 12n, prepare: 10n ** 12n };
        await model.saveCheckpoint(name, at);

        // Fewer digits but smaller (catches string comparison of unpadded numbers), then same commit, lower prepare.
        await model.saveCheckpoint(name, { commit: 9n * 10n ** 11n, prepare: 10n ** 13n });
        await model.saveCheckpoint(name, { commit: at.commit, prepare: at.prepare - 1n });
        await model.saveCheckpoint(name, at);
        assert.deepEqual(await model.loadCheckpoint(name), at);

        const later = { commit: at.commit, prepare: 10n ** 13n };
        await model.saveCheckpoint(name, later);
        assert.deepEqual(await model.loadCheckpoint(name), later);

        // Checkpoints are independent per name.
        const other = `projection-${suffix()}`;
        await model.saveCheckpoint(other, { commit: 1n, prepare: 1n });
        assert.deepEqual(await model.loadCheckpoint(other), { commit: 1n, prepare: 1n });
        assert.deepEqual(await model.loadCheckpoint(name), later);
      });
    });

    // Last: it empties the whole model, including what the earlier tests left.
    describe('clear', () => {
      it('empties users, tokens and checkpoints, and uniqueness still holds afterwards', async () => {
        const user = newUser();
        const tokenHash = hash();
        const checkpoint = `projection-${suffix()}`;
        await model.insertUser(user);
        await model.setToken(user.id, 1, { keyHash: tokenHash, created: new Date() });
        await model.saveCheckpoint(checkpoint, { commit: 5n, prepare: 5n });
        const deleted = newUser();
        await model.insertUser(deleted);
        await model.deleteUser(deleted.id, 1);

        await model.clear();
        await assertGone(user);
        assert.equal(await model.findToken(tokenHash), null);
        assert.equal(await model.loadCheckpoint(checkpoint), null);

        // Tombstones went too: the deleted user's id can be rebuilt from the log.
        assert.equal(await model.insertUser(deleted), true);
        assert.equal(await model.insertUser(user), true);
        await assert.rejects(model.insertUser(newUser({ usernameKey: user.usernameKey })), ReadModelConflictError);
      });
    });
  });
}
