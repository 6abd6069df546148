// Deletion rules: the user deletes their own account with their verified current password, or staff delete it
// (djoser checks the staff member's own password, which the use case verified). A deleted account is then erased.
import { userEvent, type UserEvent } from '../events/user.events.js';
import type { UserState } from './account.state.js';
import { requireAccount, requireVerifiedPassword } from './shared.rules.js';
import { onAccount, type Evolvers } from './evolvers.js';
import { DomainError } from './decider.js';

export interface DeleteUser {
  readonly type: 'DeleteUser';
  /** own: the hash the account's own password was verified against; staff: who deletes it. */
  readonly authority: { readonly kind: 'own'; readonly verifiedHash: string } | { readonly kind: 'staff'; readonly actorId: string };
  readonly now: Date;
}

/** Records that the deleted account's key was destroyed (the use case destroyed it first). */
export interface RecordErasure {
  readonly type: 'RecordErasure';
  readonly now: Date;
}

export type DeletionCommand = DeleteUser | RecordErasure;

export function deleteUser(command: DeleteUser, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  if (command.authority.kind === 'own') requireVerifiedPassword(account, command.authority.verifiedHash);
  return [userEvent('UserDeleted', { userId: account.id, at: command.now.toISOString() })];
}

/** Only a deleted account is erased, once: a live one must be deleted first (its data is still in use). */
export function recordErasure(command: RecordErasure, state: UserState): UserEvent[] {
  if (state.status !== 'deleted') throw new DomainError(state.status === 'none' || state.status === 'voided' ? 'not_found' : 'forbidden');
  if (state.erased) return [];
  return [userEvent('UserErased', { userId: state.id, at: command.now.toISOString() })];
}

export const deletionEvolvers: Evolvers = {
  UserDeleted: onAccount((account) => ({ status: 'deleted', id: account.id })),
  UserErased: (state) => (state.status === 'deleted' ? { ...state, erased: true } : state),
};
