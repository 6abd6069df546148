// Login-name rules (djoser's set_username / reset_username, named after USERNAME_FIELD: set_email on the email
// model): set with the verified current password; reset by a link. The new value was claimed by the use case; a
// claim fenced out since makes the change fail (the use case then claims again and finds the value taken).
import { userEvent, type UserEvent } from '../events/user.events.js';
import { DomainError, type UniqueField } from './decider.js';
import type { Account, UserState } from './account.state.js';
import {
  mayReceiveResetEmail,
  requireAccount,
  requireClaimNotVoided,
  requireLink,
  requireVerifiedPassword,
  type LinkToken,
  emailRequestDue,
  emailRequested,
} from './shared.rules.js';
import { onAccount, type Evolvers } from './evolvers.js';

export type UsernameCommand =
  | {
      readonly type: 'SetLoginName';
      /** USERNAME_FIELD: what the account logs in with. */
      readonly field: UniqueField;
      readonly value: string;
      readonly verifiedHash: string;
      readonly claimsVoidedBefore: number;
      readonly now: Date;
    }
  | { readonly type: 'RequestUsernameReset'; readonly window: number; readonly now: Date }
  | {
      readonly type: 'ResetLoginName';
      readonly field: UniqueField;
      readonly value: string;
      readonly link: LinkToken;
      readonly claimsVoidedBefore: number;
      readonly now: Date;
    };

const current = (account: Account, field: UniqueField) => (field === 'username' ? account.username : account.email);

function changed(account: Account, field: UniqueField, value: string, reason: 'set' | 'reset', at: string): UserEvent {
  const userId = account.id;
  return field === 'username'
    ? userEvent('UsernameChanged', { userId, username: value, reason, at })
    : userEvent('EmailChanged', { userId, email: value, previousEmail: account.email, reason, at });
}

export function setLoginName(command: Extract<UsernameCommand, { type: 'SetLoginName' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  requireVerifiedPassword(account, command.verifiedHash);
  requireClaimNotVoided(account, command.claimsVoidedBefore);
  if (command.value === current(account, command.field)) return [];
  return [changed(account, command.field, command.value, 'set', command.now.toISOString())];
}

export function requestUsernameReset(command: Extract<UsernameCommand, { type: 'RequestUsernameReset' }>, state: UserState): UserEvent[] {
  if (!mayReceiveResetEmail(state)) throw new DomainError('not_found');
  if (!emailRequestDue(state, 'username_reset', command.now, command.window)) return [];
  return [userEvent('UsernameResetRequested', { userId: state.id, at: command.now.toISOString() })];
}

/** The reset link's check, on its own so the use case runs it before it claims the new value. */
export const checkUsernameResetLink = (state: UserState, link: LinkToken, now: Date): Account =>
  requireLink(state, link, 'username_reset', now);

export function resetLoginName(command: Extract<UsernameCommand, { type: 'ResetLoginName' }>, state: UserState): UserEvent[] {
  const account = checkUsernameResetLink(state, command.link, command.now);
  requireClaimNotVoided(account, command.claimsVoidedBefore);
  const at = command.now.toISOString();
  // djoser's reset stamps last_login, which kills the link for good.
  return [changed(account, command.field, command.value, 'reset', at), userEvent('UserLoggedIn', { userId: account.id, at })];
}

export const usernameEvolvers: Evolvers = {
  UsernameChanged: onAccount((account, { data }) => ({ ...account, username: data.username })),
  UsernameResetRequested: onAccount((account, { data }) => emailRequested(account, 'username_reset', data.at)),
};
