// Username rules: set with the verified current password; reset by a link. The new name was claimed by the use case;
// a claim fenced out since makes the change fail (the use case then claims again and finds the name taken).
import { userEvent, type UserEvent } from '../events/user.events.js';
import { DomainError } from './decider.js';
import type { Account, UserState } from './account.state.js';
import {
  mayReceiveResetEmail,
  requireAccount,
  requireClaimNotVoided,
  requireLink,
  requireVerifiedPassword,
  type LinkToken,
} from './shared.rules.js';
import { onAccount, unchanged, type Evolvers } from './evolvers.js';

export type UsernameCommand =
  | {
      readonly type: 'SetUsername';
      readonly username: string;
      readonly verifiedHash: string;
      readonly claimsVoidedBefore: number;
      readonly now: Date;
    }
  | { readonly type: 'RequestUsernameReset'; readonly now: Date }
  | {
      readonly type: 'ResetUsername';
      readonly link: LinkToken;
      readonly username: string;
      readonly claimsVoidedBefore: number;
      readonly now: Date;
    };

export function setUsername(command: Extract<UsernameCommand, { type: 'SetUsername' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  requireVerifiedPassword(account, command.verifiedHash);
  requireClaimNotVoided(account, command.claimsVoidedBefore);
  if (command.username === account.username) return [];
  return [userEvent('UsernameChanged', { userId: account.id, username: command.username, reason: 'set', at: command.now.toISOString() })];
}

export function requestUsernameReset(command: Extract<UsernameCommand, { type: 'RequestUsernameReset' }>, state: UserState): UserEvent[] {
  if (!mayReceiveResetEmail(state)) throw new DomainError('not_found');
  return [userEvent('UsernameResetRequested', { userId: state.id, at: command.now.toISOString() })];
}

/** The reset link's check, on its own so the use case runs it before it claims the new name. */
export const checkUsernameResetLink = (state: UserState, link: LinkToken, now: Date): Account =>
  requireLink(state, link, 'username_reset', now);

export function resetUsername(command: Extract<UsernameCommand, { type: 'ResetUsername' }>, state: UserState): UserEvent[] {
  const account = checkUsernameResetLink(state, command.link, command.now);
  requireClaimNotVoided(account, command.claimsVoidedBefore);
  const at = command.now.toISOString();
  return [
    userEvent('UsernameChanged', { userId: account.id, username: command.username, reason: 'reset', at }),
    userEvent('UserLoggedIn', { userId: account.id, at }),
  ];
}

export const usernameEvolvers: Evolvers = {
  UsernameChanged: onAccount((account, { data }) => ({ ...account, username: data.username })),
  UsernameResetRequested: unchanged,
};
