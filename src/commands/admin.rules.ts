// Staff rules: staff may deactivate and reactivate other accounts, but not themselves (they would lock themselves
// out), and only a superuser may act on a superuser.
import { userEvent, type UserEvent } from '../events/user.events.js';
import { DomainError } from './decider.js';
import type { Account, UserState } from './account.state.js';
import { requireAccount } from './shared.rules.js';

/** Who is acting, as the use case found them (the principal is staff: the permission check said so). */
export interface StaffActor {
  readonly id: string;
  readonly isSuperuser: boolean;
}

export type AdminCommand =
  | { readonly type: 'DeactivateUser'; readonly actor: StaffActor; readonly now: Date }
  | { readonly type: 'ReactivateUser'; readonly actor: StaffActor; readonly now: Date }
  | { readonly type: 'UnlockAccount'; readonly actor: StaffActor; readonly now: Date };

/** Whether this staff member may change this account's standing. */
export function requireMayAdminister(actor: StaffActor, account: Account): void {
  if (actor.id === account.id || (account.isSuperuser && !actor.isSuperuser)) throw new DomainError('forbidden');
}

export function deactivateUser(command: Extract<AdminCommand, { type: 'DeactivateUser' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  requireMayAdminister(command.actor, account);
  if (account.status === 'inactive') return [];
  const at = command.now.toISOString();
  // Its JWTs die now, and stay dead after a reactivation.
  return [
    userEvent('UserDeactivated', { userId: account.id, reason: 'staff', at }),
    userEvent('AllSessionsRevoked', { userId: account.id, reason: 'deactivated', epoch: account.security.sessionEpoch + 1, at }),
  ];
}

export function reactivateUser(command: Extract<AdminCommand, { type: 'ReactivateUser' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  requireMayAdminister(command.actor, account);
  if (account.status === 'active') return [];
  return [userEvent('UserActivated', { userId: account.id, at: command.now.toISOString() })];
}

export function unlockAccount(command: Extract<AdminCommand, { type: 'UnlockAccount' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  requireMayAdminister(command.actor, account);
  const { failures, lockedUntil } = account.security;
  if (failures === 0 && lockedUntil === null) return [];
  return [userEvent('AccountUnlocked', { userId: account.id, at: command.now.toISOString() })];
}
