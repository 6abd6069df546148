// Profile (users/me/ PUT, PATCH, and users/<id>/ by its owner or staff): the writable REQUIRED_FIELDS change. A
// unique email is claimed like a username.
import type { Account } from './account.state.js';
import type { EventMetadata } from './command-handler.js';
import { emailKey } from './normalize.js';
import { withClaim } from './reservations.js';
import { verifyCurrentPassword, type UseCaseDeps } from './accounts.js';

export interface ProfileChanges {
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly profile?: Readonly<Record<string, string>>;
}

export function profileUseCases(deps: UseCaseDeps) {
  const { config, accounts } = deps;
  return {
    /** EMAIL_CHANGE_REQUIRES_PASSWORD: the current password, before the email may change. */
    verifyCurrent: (userId: string, password: string, metadata?: EventMetadata) =>
      verifyCurrentPassword(deps, userId, password, 'change_email', metadata),

    async update(userId: string, changes: ProfileChanges, metadata?: EventMetadata): Promise<Account> {
      const command = (claimsVoidedBefore?: number) =>
        ({
          type: 'UpdateProfile',
          ...changes,
          requireActivation: config.SEND_ACTIVATION_EMAIL,
          ...(claimsVoidedBefore === undefined ? {} : { claimsVoidedBefore }),
          now: deps.now(),
        }) as const;
      if (changes.email !== undefined) await deps.mailboxes.recordHolder(changes.email, userId, metadata);
      if (!config.EMAIL_UNIQUE || changes.email === undefined)
        return (await accounts.execute(userId, command(), metadata)).state as Account;
      let updated: Account | undefined;
      await withClaim(deps, { userId, claims: [['email', emailKey(changes.email)]] }, async (before) => {
        updated = (await accounts.execute(userId, command(before), metadata)).state as Account;
      });
      return updated!;
    },
  };
}

export type ProfileUseCases = ReturnType<typeof profileUseCases>;
