// Deletion rules: the user deletes their own account with their verified current password.
import { userEvent, type UserEvent } from '../events/user.events.js';
import type { UserState } from './account.state.js';
import { requireAccount, requireVerifiedPassword } from './shared.rules.js';
import { onAccount, type Evolvers } from './evolvers.js';

export interface DeleteUser {
  readonly type: 'DeleteUser';
  readonly verifiedHash: string;
  readonly now: Date;
}

export type DeletionCommand = DeleteUser;

export function deleteUser(command: DeleteUser, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  requireVerifiedPassword(account, command.verifiedHash);
  return [userEvent('UserDeleted', { userId: account.id, at: command.now.toISOString() })];
}

export const deletionEvolvers: Evolvers = {
  UserDeleted: onAccount((account) => ({ status: 'deleted', id: account.id })),
};
