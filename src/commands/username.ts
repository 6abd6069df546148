// Username (users/set_username/, users/reset_username/, users/reset_username_confirm/). The new name is claimed on
// the write side, and only after every cheap check passed (a bad link claims nothing).
import type { EventMetadata } from './command-handler.js';
import { DomainError } from './decider.js';
import { usernameKey } from './normalize.js';
import { withClaim } from './reservations.js';
import { checkUsernameResetLink } from './username.rules.js';
import { accountOfUid, requestEmail, linkToken, verifyCurrentPassword, type UseCaseDeps } from './accounts.js';

export function usernameUseCases(deps: UseCaseDeps) {
  const { accounts, readModel } = deps;
  return {
    verifyCurrent: (userId: string, password: string) => verifyCurrentPassword(deps, userId, password),

    /** DRF's UniqueValidator on the new name: any existing user, yourself included. */
    async checkAvailable(username: string): Promise<void> {
      if (await readModel.findUserByUsername(usernameKey(username))) throw new DomainError('taken', { fields: ['username'] });
    },

    async set(input: { userId: string; verifiedHash: string; username: string }, metadata?: EventMetadata): Promise<void> {
      const { userId, verifiedHash, username } = input;
      await withClaim(deps, { userId, field: 'username', key: usernameKey(username) }, (claimsVoidedBefore) =>
        accounts.execute(userId, { type: 'SetUsername', username, verifiedHash, claimsVoidedBefore, now: deps.now() }, metadata),
      );
    },

    async requestReset(email: string, metadata?: EventMetadata): Promise<void> {
      await requestEmail(deps, email, () => ({ type: 'RequestUsernameReset', now: deps.now() }), metadata);
    },

    async confirmReset(input: { uid: string; token: string; username: string }, metadata?: EventMetadata): Promise<void> {
      const account = await accountOfUid(deps, input.uid);
      const link = linkToken(deps, input.token);
      checkUsernameResetLink(account, link, deps.now());
      const { username } = input;
      await withClaim(deps, { userId: account.id, field: 'username', key: usernameKey(username) }, (claimsVoidedBefore) =>
        accounts.execute(account.id, { type: 'ResetUsername', link, username, claimsVoidedBefore, now: deps.now() }, metadata),
      );
    },
  };
}

export type UsernameUseCases = ReturnType<typeof usernameUseCases>;
