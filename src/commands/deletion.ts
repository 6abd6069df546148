// Deletion (users/me/ DELETE, users/<id>/ DELETE): the account is gone and its username and email are free again.
// The caller's own current password is what djoser checks, for a staff member deleting someone else too. Then the
// account is erased: its key destroyed (its events' personal data reads "[erased]" from then on), and UserErased
// recorded. Erasing again is harmless, so `authstream erase` finishes an erasure a crash interrupted.
import type { EventMetadata } from './command-handler.js';
import { DomainError } from './decider.js';
import { isAccount } from './account.state.js';
import { emailKey, usernameClaims } from './normalize.js';
import { verifyCurrentPassword, type UseCaseDeps } from './accounts.js';

export function deletionUseCases(deps: UseCaseDeps) {
  const { accounts, reservations } = deps;

  async function remove(
    userId: string,
    authority: { kind: 'own'; verifiedHash: string } | { kind: 'staff'; actorId: string },
    metadata?: EventMetadata,
  ) {
    const before = await accounts.load(userId);
    await accounts.execute(userId, { type: 'DeleteUser', authority, now: deps.now() }, metadata);
    if (!isAccount(before)) return;
    for (const [kind, key] of [...usernameClaims(before.username), ['email', emailKey(before.email)] as const]) {
      await reservations.release(kind, key, userId);
    }
    await erase(userId, metadata);
  }

  /** Destroys a deleted account's key, then records that it did (first the key: the record must never be false). */
  async function erase(userId: string, metadata?: EventMetadata) {
    await deps.accountKeys.erase(userId);
    await accounts.execute(userId, { type: 'RecordErasure', now: deps.now() }, metadata);
  }

  return {
    /**
     * `authstream erase`: deletes the account if it is live (by `actor`, e.g. the CLI), then erases it; a deleted
     * account whose erasure a crash cut short is erased now.
     */
    async erase(userId: string, metadata?: EventMetadata): Promise<void> {
      const state = await accounts.load(userId);
      if (isAccount(state)) await remove(userId, { kind: 'staff', actorId: 'cli' }, metadata);
      else if (state.status === 'deleted') await erase(userId, metadata);
      else throw new DomainError('not_found');
    },

    /** Verifies the caller's current password; its result is the fact the deletion carries. */
    verifyCurrent: (userId: string, password: string, metadata?: EventMetadata) =>
      verifyCurrentPassword(deps, userId, password, 'delete', metadata),

    /** The caller deletes `userId`: themself (their verified hash), or, as staff, someone else. */
    async delete(input: { callerId: string; userId: string; verifiedHash: string }, metadata?: EventMetadata): Promise<void> {
      const authority =
        input.callerId === input.userId
          ? ({ kind: 'own', verifiedHash: input.verifiedHash } as const)
          : ({ kind: 'staff', actorId: input.callerId } as const);
      await remove(input.userId, authority, metadata);
    },
  };
}

export type DeletionUseCases = ReturnType<typeof deletionUseCases>;
