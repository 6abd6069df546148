// The login name (djoser's set_username, reset_username, reset_username_confirm — set_email … on the email user
// model): USERNAME_FIELD's value changes. The new value is claimed on the write side, and only after every cheap
// check passed (a bad link claims nothing).
import type { EventMetadata } from './command-handler.js';
import { DomainError } from './decider.js';
import { uniqueKey } from './normalize.js';
import { withClaim } from './reservations.js';
import { checkUsernameResetLink } from './username.rules.js';
import { accountOfUid, linkToken, requestEmail, verifyCurrentPassword, type UseCaseDeps } from './accounts.js';

export function usernameUseCases(deps: UseCaseDeps) {
  const { accounts, readModel, model } = deps;
  const field = model.usernameField;
  return {
    verifyCurrent: (userId: string, password: string) => verifyCurrentPassword(deps, userId, password),

    /** DRF's UniqueValidator on the new value: any existing user, yourself included. */
    async checkAvailable(value: string): Promise<void> {
      const key = uniqueKey(field, value);
      const taken = field === 'username' ? await readModel.findUserByUsername(key) : (await readModel.findUsersByEmail(key))[0];
      if (taken) throw new DomainError('taken', { fields: [field] });
    },

    async set(input: { userId: string; verifiedHash: string; value: string }, metadata?: EventMetadata): Promise<void> {
      const { userId, verifiedHash, value } = input;
      await withClaim(deps, { userId, field, key: uniqueKey(field, value) }, (claimsVoidedBefore) =>
        accounts.execute(userId, { type: 'SetLoginName', field, value, verifiedHash, claimsVoidedBefore, now: deps.now() }, metadata),
      );
    },

    requestReset: (email: string, metadata?: EventMetadata) =>
      requestEmail(deps, email, () => ({ type: 'RequestUsernameReset', now: deps.now() }), metadata),

    async confirmReset(input: { uid: string; token: string; value: string }, metadata?: EventMetadata): Promise<void> {
      const account = await accountOfUid(deps, input.uid);
      const link = linkToken(deps, input.token);
      checkUsernameResetLink(account, link, deps.now());
      const { value } = input;
      await withClaim(deps, { userId: account.id, field, key: uniqueKey(field, value) }, (claimsVoidedBefore) =>
        accounts.execute(account.id, { type: 'ResetLoginName', field, value, link, claimsVoidedBefore, now: deps.now() }, metadata),
      );
    },
  };
}

export type UsernameUseCases = ReturnType<typeof usernameUseCases>;
