// Email verification (the dj-rest-auth surface's registration/verify-email/ and resend-email/, and the confirmation
// email a registration asks for): keys are checked by their MAC before any account is loaded, then by the
// account's decider (email-verification.rules.ts) against the hashes of the keys it sent.
import type { EventMetadata } from './command-handler.js';
import { DomainError, isDomainError } from './decider.js';
import { isAccount } from './account.state.js';
import { hashEmailConfirmationKey, readEmailConfirmationKey } from '../crypto/email-key.js';
import { isEmailVerified } from './email-verification.rules.js';
import type { UseCaseDeps } from './accounts.js';

export function emailVerificationUseCases(deps: UseCaseDeps) {
  const { config, accounts } = deps;
  const lifetimeSeconds = config.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS * 86_400;
  const keys = { secret: deps.secretKey, lifetimeSeconds };
  return {
    /** The confirmation email of a registration (allauth's email_confirmation_signup); none for an account without one. */
    async requestAtSignup(userId: string, metadata?: EventMetadata): Promise<void> {
      const command = { type: 'RequestEmailVerification', source: 'signup', key: keys, window: 0, now: deps.now() } as const;
      try {
        await accounts.execute(userId, command, metadata);
      } catch (error) {
        if (!isDomainError(error, 'not_found')) throw error;
      }
    },

    /**
     * resend-email: recorded on the address's mailbox and answered at once; the accounts holding the address get
     * the email later, if unverified and active, at most once per EMAIL_REQUEST_WINDOW.
     */
    resend: (email: string, metadata?: EventMetadata): Promise<void> => deps.mailboxes.requestEmail('email_confirmation', email, metadata),

    /** verify-email: not_found for a key that is not ours, expired, used, for another address, or already verified. */
    async verify(key: string, metadata?: EventMetadata): Promise<void> {
      const read = readEmailConfirmationKey(deps.secretKey, key);
      if (!read || deps.now().getTime() / 1000 - read.seconds > lifetimeSeconds) throw new DomainError('not_found');
      await accounts.execute(read.userId, { type: 'VerifyEmail', keyHash: hashEmailConfirmationKey(key), now: deps.now() }, metadata);
    },

    /** Whether the account's current address is verified (see email-verification.rules.ts for what that means). */
    async isVerified(userId: string): Promise<boolean> {
      const state = await accounts.load(userId);
      return isAccount(state) && isEmailVerified(state);
    },
  };
}

export type EmailVerificationUseCases = ReturnType<typeof emailVerificationUseCases>;
