// Profile rules: what changing the user's own fields does. With activation on, a new email makes the account
// inactive until the new address is confirmed.
import { userEvent, type UserEvent } from '../events/user.events.js';
import type { UserState } from './account.state.js';
import { requireAccount, requireClaimNotVoided } from './shared.rules.js';
import { onAccount, type Evolvers } from './evolvers.js';

export interface UpdateProfile {
  readonly type: 'UpdateProfile';
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  /** The model's own fields to change. */
  readonly profile?: Readonly<Record<string, string>>;
  /** SEND_ACTIVATION_EMAIL: a changed email makes the account inactive until the new address is confirmed. */
  readonly requireActivation: boolean;
  /** Set when the new email was claimed (unique emails): the claims voided when it was. */
  readonly claimsVoidedBefore?: number;
  readonly now: Date;
}

export type ProfileCommand = UpdateProfile;

export function updateProfile(command: UpdateProfile, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  if (command.claimsVoidedBefore !== undefined) requireClaimNotVoided(account, command.claimsVoidedBefore);
  const changedProfile = Object.fromEntries(Object.entries(command.profile ?? {}).filter(([k, v]) => account.profile[k] !== v));
  const changes = {
    ...(command.firstName !== undefined && command.firstName !== account.firstName ? { firstName: command.firstName } : {}),
    ...(command.lastName !== undefined && command.lastName !== account.lastName ? { lastName: command.lastName } : {}),
    ...(Object.keys(changedProfile).length ? { profile: changedProfile } : {}),
  };
  const at = command.now.toISOString();
  const userId = account.id;
  const events: UserEvent[] = Object.keys(changes).length ? [userEvent('UserProfileUpdated', { userId, ...changes, at })] : [];
  if (command.email !== undefined && command.email !== account.email) {
    events.push(userEvent('EmailChanged', { userId, email: command.email, previousEmail: account.email, reason: 'profile', at }));
    if (command.requireActivation) {
      if (account.status === 'active') events.push(userEvent('UserDeactivated', { userId, reason: 'email_changed', at }));
      events.push(userEvent('ActivationEmailRequested', { userId, at }));
    }
  }
  return events;
}

export const profileEvolvers: Evolvers = {
  UserProfileUpdated: onAccount((account, { data }) => ({
    ...account,
    email: data.email ?? account.email,
    firstName: data.firstName ?? account.firstName,
    lastName: data.lastName ?? account.lastName,
    profile: data.profile ? { ...account.profile, ...data.profile } : account.profile,
  })),
  EmailChanged: onAccount((account, { data }) => ({ ...account, email: data.email })),
};
