// Deletion (users/me/ DELETE): the account is gone and its username and email are free again.
import type { EventMetadata } from './command-handler.js';
import { isAccount } from './account.state.js';
import { emailKey, usernameKey } from './normalize.js';
import { verifyCurrentPassword, type UseCaseDeps } from './accounts.js';

export function deletionUseCases(deps: UseCaseDeps) {
  const { accounts, reservations } = deps;
  return {
    async deleteOwn(input: { userId: string; currentPassword: string }, metadata?: EventMetadata): Promise<void> {
      const before = await accounts.load(input.userId);
      const { verifiedHash } = await verifyCurrentPassword(deps, input.userId, input.currentPassword);
      await accounts.execute(input.userId, { type: 'DeleteUser', verifiedHash, now: deps.now() }, metadata);
      if (!isAccount(before)) return;
      await reservations.release('username', usernameKey(before.username), input.userId);
      await reservations.release('email', emailKey(before.email), input.userId);
    },
  };
}

export type DeletionUseCases = ReturnType<typeof deletionUseCases>;
