// Activation rules: an emailed link activates an inactive account once; activation emails go to inactive accounts only.
import { userEvent, type UserEvent } from '../events/user.events.js';
import { DomainError } from './decider.js';
import { isAccount, type UserState } from './account.state.js';
import { emailRequestDue, emailRequested, requireAccount, requireLink, type LinkToken } from './shared.rules.js';
import { onAccount, type Evolvers } from './evolvers.js';
import { verifiedByActivation } from './email-verification.rules.js';

export type ActivationCommand =
  | { readonly type: 'ActivateUser'; readonly link: LinkToken; readonly now: Date }
  /** resend_activation; `window`: EMAIL_REQUEST_WINDOW seconds. */
  | { readonly type: 'RequestActivationEmail'; readonly window: number; readonly now: Date };

export function activateUser(command: Extract<ActivationCommand, { type: 'ActivateUser' }>, state: UserState): UserEvent[] {
  // djoser checks the token first (400), then staleness (403): an active account's token is stale.
  const account = requireLink(state, command.link, 'activation', command.now);
  if (account.status === 'active') throw new DomainError('stale_token');
  const at = command.now.toISOString();
  // The link was mailed to the account's address: activating proves the mailbox (dj-rest-auth's "verified").
  return [userEvent('UserActivated', { userId: account.id, at }), ...verifiedByActivation(account, at)];
}

/** Who an activation email is for: an account not active yet (djoser 2.3: an active one gets none, silently). */
export const awaitsActivation = (state: UserState): boolean => isAccount(state) && state.status === 'inactive';

export function requestActivationEmail(
  command: Extract<ActivationCommand, { type: 'RequestActivationEmail' }>,
  state: UserState,
): UserEvent[] {
  const account = requireAccount(state);
  if (!awaitsActivation(account)) throw new DomainError('not_found');
  if (!emailRequestDue(account, 'activation', command.now, command.window)) return [];
  return [userEvent('ActivationEmailRequested', { userId: account.id, source: 'resend', at: command.now.toISOString() })];
}

export const activationEvolvers: Evolvers = {
  UserActivated: onAccount((account) => ({ ...account, status: 'active' })),
  UserDeactivated: onAccount((account) => ({ ...account, status: 'inactive' })),
  ActivationEmailRequested: onAccount((account, { data }) =>
    data.source === 'resend' ? emailRequested(account, 'activation', data.at) : account,
  ),
};
