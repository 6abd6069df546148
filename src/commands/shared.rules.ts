// Guards several flows share. Each is one rule in one place; the flows' decide functions call them, and use cases
// may call them early (cheap checks before a password is hashed or a name is claimed).
import { checkLinkToken, type LinkPurpose } from '../crypto/link-token.js';
import { DomainError } from './decider.js';
import { isAccount, type Account, type EmailRequestKind, type UserState } from './account.state.js';

/** A link token (activation, reset) to check against the state it was made from. */
export interface LinkToken {
  readonly token: string;
  readonly secret: string;
  readonly timeoutSeconds: number;
}

export function requireAccount(state: UserState): Account {
  if (!isAccount(state)) throw new DomainError('not_found');
  return state;
}

/** The link was made for this purpose from the account as it is now, and has not expired. */
export function requireLink(state: UserState, link: LinkToken, purpose: LinkPurpose, now: Date): Account {
  const account = requireAccount(state);
  const ok = checkLinkToken({
    secret: link.secret,
    purpose,
    user: { id: account.id, passwordHash: account.passwordHash, lastLogin: account.lastLogin, email: account.email },
    token: link.token,
    nowSeconds: Math.floor(now.getTime() / 1000),
    timeoutSeconds: link.timeoutSeconds,
  });
  if (!ok) throw new DomainError('invalid_token');
  return account;
}

/** The password the use case verified is still the account's (it may have changed since). */
export function requireVerifiedPassword(account: Account, verifiedHash: string): void {
  if (account.passwordHash === null || account.passwordHash !== verifiedHash) throw new DomainError('invalid_password');
}

/**
 * A change that claimed a unique value must not land once the claim was fenced out: the use case passes how many
 * of the account's claims were voided when it claimed; another one since means its claim is gone.
 */
export function requireClaimNotVoided(account: Account, claimsVoidedBefore: number): void {
  if (account.claimsVoided !== claimsVoidedBefore) throw new DomainError('stale_facts');
}

/**
 * Floods: an email asked for with just an address goes out at most once per window per account (repeats inside
 * the window decide nothing, so they append nothing and send nothing).
 */
export function emailRequestDue(account: Account, kind: EmailRequestKind, now: Date, windowSeconds: number): boolean {
  const last = account.security.lastEmailRequest[kind];
  return last === undefined || now.getTime() - Date.parse(last) >= windowSeconds * 1000;
}

/** A fold step recording when an email was asked for. */
export const emailRequested = (account: Account, kind: EmailRequestKind, at: string): Account => ({
  ...account,
  security: { ...account.security, lastEmailRequest: { ...account.security.lastEmailRequest, [kind]: at } },
});

/** Who may be sent a reset email (djoser's SendEmailResetSerializer.get_user): active, with a usable password. */
export function mayReceiveResetEmail(state: UserState): state is Account {
  return isAccount(state) && state.status === 'active' && state.passwordHash !== null;
}
