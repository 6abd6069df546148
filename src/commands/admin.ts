// The user admin (djoser's UserViewSet list/retrieve, and the staff actions authstream adds): who may see which
// accounts, and staff deactivating and reactivating accounts.
import type { UserDoc } from '../readmodel/port.js';
import type { EventMetadata } from './command-handler.js';
import { DomainError } from './decider.js';
import type { UseCaseDeps } from './accounts.js';

/** The caller, as the principal the HTTP layer authenticated. */
export interface Caller {
  readonly id: string;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
}

export function adminUseCases(deps: UseCaseDeps) {
  const { config, readModel, accounts } = deps;
  // djoser's HIDE_USERS: a regular user sees only themself.
  const seesEveryone = (caller: Caller) => caller.isStaff || !config.HIDE_USERS;
  return {
    /** How many users the caller sees in users/. */
    async count(caller: Caller): Promise<number> {
      return seesEveryone(caller) ? readModel.countUsers() : (await readModel.findUserById(caller.id)) ? 1 : 0;
    },

    /** users/: everyone for staff (and for all with HIDE_USERS off), else just the caller; a page of it. */
    async list(caller: Caller, page: { offset: number; limit: number }): Promise<UserDoc[]> {
      if (seesEveryone(caller)) return readModel.listUsers(page);
      const self = await readModel.findUserById(caller.id);
      return (self ? [self] : []).slice(page.offset, page.offset + page.limit);
    },

    /**
     * users/<id>/ as djoser's CurrentUserOrAdmin object permission sees it: the user, or not_found (no such user),
     * or, for someone else's account, forbidden — not_found instead where HIDE_USERS hides users, except for a
     * deletion (djoser's UserViewSet.permission_denied answers 404 for retrieve and update, 403 for destroy).
     */
    async find(caller: Caller, userId: string, action: 'retrieve' | 'update' | 'destroy'): Promise<UserDoc> {
      const user = await readModel.findUserById(userId);
      if (!user) throw new DomainError('not_found');
      if (user.id === caller.id || caller.isStaff) return user;
      throw new DomainError(config.HIDE_USERS && action !== 'destroy' ? 'not_found' : 'forbidden');
    },

    /** The staff actions are staff's: anyone else is refused whatever the id (nothing to learn from the answer). */
    requireStaff(caller: Caller): void {
      if (!caller.isStaff) throw new DomainError('forbidden');
    },

    async deactivate(caller: Caller, userId: string, metadata?: EventMetadata): Promise<void> {
      await accounts.execute(userId, { type: 'DeactivateUser', actor: caller, now: deps.now() }, metadata);
    },

    async reactivate(caller: Caller, userId: string, metadata?: EventMetadata): Promise<void> {
      await accounts.execute(userId, { type: 'ReactivateUser', actor: caller, now: deps.now() }, metadata);
    },

    async unlock(caller: Caller, userId: string, metadata?: EventMetadata): Promise<void> {
      await accounts.execute(userId, { type: 'UnlockAccount', actor: caller, now: deps.now() }, metadata);
    },
  };
}

export type AdminUseCases = ReturnType<typeof adminUseCases>;
