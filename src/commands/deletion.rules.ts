// Deletion rules: the user deletes their own account with their verified current password, or staff delete it
// (djoser checks the staff member's own password, which the use case verified).
import { userEvent, type UserEvent } from '../events/user.events.js';
import type { UserState } from './account.state.js';
import { requireAccount, requireVerifiedPassword } from './shared.rules.js';
import { onAccount, type Evolvers } from './evolvers.js';

export interface DeleteUser {
  readonly type: 'DeleteUser';
  /** own: the hash the account's own password was verified against; staff: who deletes it. */
  readonly authority: { readonly kind: 'own'; readonly verifiedHash: string } | { readonly kind: 'staff'; readonly actorId: string };
  readonly now: Date;
}

export type DeletionCommand = DeleteUser;

export function deleteUser(command: DeleteUser, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  if (command.authority.kind === 'own') requireVerifiedPassword(account, command.authority.verifiedHash);
  return [userEvent('UserDeleted', { userId: account.id, at: command.now.toISOString() })];
}

export const deletionEvolvers: Evolvers = {
  UserDeleted: onAccount((account) => ({ status: 'deleted', id: account.id })),
};
