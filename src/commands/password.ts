// Password (users/set_password/, users/reset_password/, users/reset_password_confirm/).
import type { EventMetadata } from './command-handler.js';
import { checkResetLink } from './password.rules.js';
import { accountOfUid, requestEmail, linkToken, verifyCurrentPassword, type UseCaseDeps } from './accounts.js';

export function passwordUseCases(deps: UseCaseDeps) {
  const { config, accounts, hasher } = deps;
  return {
    /** The current password's check (a field check to djoser); its result is the fact set() carries. */
    verifyCurrent: (userId: string, password: string, metadata?: EventMetadata) =>
      verifyCurrentPassword(deps, userId, password, 'set_password', metadata),

    /** `sessionId`: the JWT session the caller is in (null: a DRF token); every other session ends. */
    async set(
      input: { userId: string; verifiedHash: string; newPassword: string; sessionId: string | null },
      metadata?: EventMetadata,
    ): Promise<void> {
      const passwordHash = await hasher.hash(input.newPassword);
      const command = {
        type: 'SetPassword',
        verifiedHash: input.verifiedHash,
        passwordHash,
        logout: config.LOGOUT_ON_PASSWORD_CHANGE,
        keepSession: input.sessionId,
        now: deps.now(),
      } as const;
      await accounts.execute(input.userId, command, metadata);
    },

    async requestReset(email: string, metadata?: EventMetadata): Promise<void> {
      await requestEmail(deps, email, 'password_reset', metadata);
    },

    async confirmReset(input: { uid: string; token: string; newPassword: string }, metadata?: EventMetadata): Promise<void> {
      const account = await accountOfUid(deps, input.uid);
      const link = linkToken(deps, input.token);
      // The link first: a bad one must cost no hash.
      checkResetLink(account, link, deps.now());
      const passwordHash = await hasher.hash(input.newPassword);
      const command = { type: 'ResetPassword', link, passwordHash, logout: config.LOGOUT_ON_PASSWORD_CHANGE, now: deps.now() } as const;
      await accounts.execute(account.id, command, metadata);
    },
  };
}

export type PasswordUseCases = ReturnType<typeof passwordUseCases>;
