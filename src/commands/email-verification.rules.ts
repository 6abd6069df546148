// Email verification rules (allauth's EmailAddress.verified, behind the dj-rest-auth surface's registration/
// verify-email/ and resend-email/): a confirmation key is good once, until it expires, and only for the address the
// account had when it was sent; once the address is verified every key sent for it is dead, so verifying twice is
// refused. "Verified" means: the account's current address is the one last verified. So, for accounts that came
// through djoser: an account that completed djoser's activation proved its mailbox (the activation link was mailed
// to its address) and counts as verified; one registered without activation (SEND_ACTIVATION_EMAIL off) did not;
// an email change unverifies (the new address is another mailbox), until the new address is verified by a key or by
// the activation djoser asks for after a change.
import { userEvent, type UserEvent } from '../events/user.events.js';
import { emailConfirmationKey, hashEmailConfirmationKey } from '../crypto/email-key.js';
import { DomainError } from './decider.js';
import type { Account, EmailVerification, UserState } from './account.state.js';
import { emailRequestDue, emailRequested, requireAccount } from './shared.rules.js';
import { emailKey } from './normalize.js';
import { onAccount, type Evolvers } from './evolvers.js';

/** How many confirmation keys of one account are kept good at once (the newest). */
export const MAX_PENDING_KEYS = 10;

export type EmailVerificationCommand =
  | {
      readonly type: 'RequestEmailVerification';
      /** `signup`: the registration's own email; `resend`: resend-email (at most once per `window` seconds). */
      readonly source: 'signup' | 'resend';
      /** The key is HMAC(secret, account id, now): only its hash is decided on and stored. */
      readonly key: { readonly secret: string; readonly lifetimeSeconds: number };
      readonly window: number;
      readonly now: Date;
    }
  | {
      readonly type: 'VerifyEmail';
      /** sha256 of the key given (the use case checked the key's MAC and that it names this account). */
      readonly keyHash: string;
      readonly now: Date;
    };

const NONE: EmailVerification = { verifiedEmail: null, pending: [] };
const verificationOf = (account: Account): EmailVerification => account.emailVerification ?? NONE;

/** Whether the account's current address is verified (the same mailbox as the one last verified). */
export function isEmailVerified(account: Account): boolean {
  const verified = verificationOf(account).verifiedEmail;
  return account.email !== '' && verified !== null && emailKey(verified) === emailKey(account.email);
}

/** The key (and its hash) a request made now for this account carries. */
export function confirmationKeyOf(secret: string, userId: string, now: Date): { key: string; keyHash: string } {
  const key = emailConfirmationKey(secret, userId, Math.floor(now.getTime() / 1000));
  return { key, keyHash: hashEmailConfirmationKey(key) };
}

export function requestEmailVerification(
  command: Extract<EmailVerificationCommand, { type: 'RequestEmailVerification' }>,
  state: UserState,
): UserEvent[] {
  const account = requireAccount(state);
  // No address, or one already verified: nothing to confirm (resend-email answers the same either way).
  if (account.email === '' || isEmailVerified(account)) throw new DomainError('not_found');
  if (command.source === 'resend') {
    if (account.status !== 'active') throw new DomainError('not_found');
    if (!emailRequestDue(account, 'email_verification', command.now, command.window)) return [];
  }
  const { keyHash } = confirmationKeyOf(command.key.secret, account.id, command.now);
  const expires = new Date(command.now.getTime() + command.key.lifetimeSeconds * 1000).toISOString();
  return [
    userEvent('EmailVerificationRequested', {
      userId: account.id,
      keyHash,
      expires,
      source: command.source,
      at: command.now.toISOString(),
    }),
  ];
}

export function verifyEmail(command: Extract<EmailVerificationCommand, { type: 'VerifyEmail' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  if (isEmailVerified(account)) throw new DomainError('not_found');
  const now = command.now.getTime();
  const current = emailKey(account.email);
  const request = verificationOf(account).pending.find(
    (p) => p.keyHash === command.keyHash && Date.parse(p.expires) > now && emailKey(p.email) === current,
  );
  if (!request) throw new DomainError('not_found');
  return [userEvent('EmailVerified', { userId: account.id, email: account.email, method: 'key', at: command.now.toISOString() })];
}

/** djoser's activation proves the mailbox its link was sent to: the events that say so, if it was not verified yet. */
export function verifiedByActivation(account: Account, at: string): UserEvent[] {
  if (account.email === '' || isEmailVerified(account)) return [];
  return [userEvent('EmailVerified', { userId: account.id, email: account.email, method: 'activation', at })];
}

export const emailVerificationEvolvers: Evolvers = {
  EmailVerificationRequested: onAccount((account, { data }) => {
    const live = verificationOf(account).pending.filter((p) => Date.parse(p.expires) > Date.parse(data.at));
    const pending = [...live, { keyHash: data.keyHash, email: account.email, expires: data.expires }].slice(-MAX_PENDING_KEYS);
    const updated = { ...account, emailVerification: { ...verificationOf(account), pending } };
    return data.source === 'resend' ? emailRequested(updated, 'email_verification', data.at) : updated;
  }),
  // Every key sent for the address is dead once it is verified.
  EmailVerified: onAccount((account, { data }) => ({ ...account, emailVerification: { verifiedEmail: data.email, pending: [] } })),
};
