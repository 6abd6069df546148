// The login name (djoser's set_username, reset_username, reset_username_confirm — set_email … on the email user
// model): USERNAME_FIELD's value changes. The new value is claimed on the write side, and only after every cheap
// check passed (a bad link claims nothing).
import type { EventMetadata } from './command-handler.js';
import { DomainError } from './decider.js';
import { uniqueKey, usernameClaims } from './normalize.js';
import { withClaim } from './reservations.js';
import { checkUsernameResetLink } from './username.rules.js';
import { accountOfUid, linkToken, requestEmail, verifyCurrentPassword, type UseCaseDeps } from './accounts.js';

export function usernameUseCases(deps: UseCaseDeps) {
  const { accounts, readModel, model } = deps;
  const field = model.usernameField;
  const claimsOf = (value: string) => (field === 'username' ? usernameClaims(value) : [['email', uniqueKey('email', value)] as const]);
  return {
    verifyCurrent: (userId: string, password: string, metadata?: EventMetadata) =>
      verifyCurrentPassword(deps, userId, password, 'set_username', metadata),

    /** DRF's UniqueValidator on the new value: any existing user, yourself included. */
    async checkAvailable(value: string): Promise<void> {
      const key = uniqueKey(field, value);
      const taken = field === 'username' ? await readModel.findUserByUsername(key) : (await readModel.findUsersByEmail(key))[0];
      if (taken) throw new DomainError('taken', { fields: [field] });
    },

    async set(input: { userId: string; verifiedHash: string; value: string }, metadata?: EventMetadata): Promise<void> {
      const { userId, verifiedHash, value } = input;
      if (field === 'email') await deps.mailboxes.recordHolder(value, userId, metadata);
      await withClaim(deps, { userId, claims: claimsOf(value) }, (claimsVoidedBefore) =>
        accounts.execute(userId, { type: 'SetLoginName', field, value, verifiedHash, claimsVoidedBefore, now: deps.now() }, metadata),
      );
    },

    requestReset: (email: string, metadata?: EventMetadata) => requestEmail(deps, email, 'username_reset', metadata),

    async confirmReset(input: { uid: string; token: string; value: string }, metadata?: EventMetadata): Promise<void> {
      const account = await accountOfUid(deps, input.uid);
      const link = linkToken(deps, input.token);
      checkUsernameResetLink(account, link, deps.now());
      const { value } = input;
      if (field === 'email') await deps.mailboxes.recordHolder(value, account.id, metadata);
      await withClaim(deps, { userId: account.id, claims: claimsOf(value) }, (claimsVoidedBefore) =>
        accounts.execute(account.id, { type: 'ResetLoginName', field, value, link, claimsVoidedBefore, now: deps.now() }, metadata),
      );
    },
  };
}

export type UsernameUseCases = ReturnType<typeof usernameUseCases>;
