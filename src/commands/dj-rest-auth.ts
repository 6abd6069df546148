// What the dj-rest-auth surface does beyond the use cases the djoser surface shares with it: allauth's password-reset
// link (uid in allauth's encoding, its own link purpose) and the changes dj-rest-auth lets a session make on its own
// authority — the password without the old one (OLD_PASSWORD_FIELD_ENABLED off) and the username through user/.
// Every change runs the same commands, so the same events, as on the djoser surface.
import { decodeAllauthUid } from '../crypto/allauth-uid.js';
import type { EventMetadata } from './command-handler.js';
import { DomainError } from './decider.js';
import { isAccount, type Account } from './account.state.js';
import { checkResetLink } from './password.rules.js';
import { linkToken, verifyCurrentPassword, type UseCaseDeps } from './accounts.js';
import type { UsernameUseCases } from './username.js';
import type { ProfileUseCases } from './profile.js';
import { emailKey, usernameKey } from './normalize.js';

export function djRestAuthUseCases(deps: UseCaseDeps & { username: UsernameUseCases; profile: ProfileUseCases }) {
  const { config, accounts, hasher, readModel } = deps;

  /** The hash a change on the session's authority is decided against: the password as it is now (a concurrent change fails it). */
  async function currentHash(userId: string): Promise<string> {
    const state = await accounts.load(userId);
    if (!isAccount(state)) throw new DomainError('not_found');
    if (state.passwordHash === null) throw new DomainError('invalid_password');
    return state.passwordHash;
  }

  return {
    /** password/reset/: recorded on the address's mailbox and answered at once (allauth's email, sent later). */
    requestReset: (email: string, metadata?: EventMetadata): Promise<void> =>
      deps.mailboxes.requestEmail('password_reset_key', email, metadata),

    /** The account a reset link's uid names; invalid_uid (with Django's message for a non-UUID on a UUID model). */
    async accountOfUid(uid: string): Promise<Account> {
      const decoded = decodeAllauthUid(uid, deps.model.idType);
      if ('notUuid' in decoded) throw new DomainError('invalid_uid', { message: `“${decoded.notUuid}” is not a valid UUID.` });
      const state = 'userId' in decoded ? await accounts.load(decoded.userId) : null;
      if (!state || !isAccount(state)) throw new DomainError('invalid_uid');
      return state;
    },

    /** The link's token, checked before the new password is (allauth: uid, then token, then the passwords). */
    checkResetToken(account: Account, token: string): void {
      checkResetLink(account, linkToken(deps, token), deps.now(), 'allauth_password_reset');
    },

    async confirmReset(account: Account, token: string, newPassword: string, metadata?: EventMetadata): Promise<void> {
      const link = linkToken(deps, token);
      checkResetLink(account, link, deps.now(), 'allauth_password_reset');
      const command = {
        type: 'ResetPassword',
        link,
        purpose: 'allauth_password_reset',
        passwordHash: await hasher.hash(newPassword),
        logout: config.REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE,
        now: deps.now(),
      } as const;
      await accounts.execute(account.id, command, metadata);
    },

    /** password/change/'s old_password (OLD_PASSWORD_FIELD_ENABLED): its check is what the change carries. */
    verifyOldPassword: (userId: string, password: string, metadata?: EventMetadata) =>
      verifyCurrentPassword(deps, userId, password, 'set_password', metadata),

    /**
     * password/change/; `verifiedHash` from verifyOldPassword, or absent: the session's authority (dj-rest-auth's
     * default). `sessionId`: the JWT session the caller is in (null: a DRF token); every other session ends, as on
     * djoser's set_password (dj-rest-auth keeps only Django's own session, update_session_auth_hash).
     */
    async changePassword(
      input: { userId: string; newPassword: string; verifiedHash?: string; sessionId: string | null },
      metadata?: EventMetadata,
    ): Promise<void> {
      const verifiedHash = input.verifiedHash ?? (await currentHash(input.userId));
      const command = {
        type: 'SetPassword',
        verifiedHash,
        passwordHash: await hasher.hash(input.newPassword),
        logout: config.REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE,
        keepSession: input.sessionId,
        now: deps.now(),
      } as const;
      await accounts.execute(input.userId, command, metadata);
    },

    /** allauth's UNIQUE_EMAIL check (case-insensitive, whatever EMAIL_UNIQUE says): `taken` when another account has it. */
    async checkEmailAvailable(email: string): Promise<void> {
      if (emailKey(email) !== '' && (await readModel.findUsersByEmail(emailKey(email))).length > 0)
        throw new DomainError('taken', { fields: ['email'] });
    },

    /** allauth's clean_username uniqueness: case-insensitive, the caller's own username included. */
    async checkUsernameAvailable(username: string): Promise<void> {
      if (await readModel.findUserByUsername(usernameKey(username))) throw new DomainError('taken', { fields: ['username'] });
    },

    /**
     * allauth's generate_unique_username for a signup without one: the address's local part (ASCII, lower case, only
     * the characters a username may have), then with a number, the first that is free.
     */
    async generateUsername(email: string): Promise<string> {
      const local = (email.split('@')[0] ?? '')
        .normalize('NFKD')
        .replace(/[^\w.+-]/g, '')
        .toLowerCase()
        .slice(0, 140);
      const base = local || 'user';
      for (let n = 1; n < 1000; n++) {
        const candidate = n === 1 ? base : `${base}${n}`;
        if (!(await readModel.findUserByUsername(usernameKey(candidate)))) return candidate;
      }
      return `${base}${Date.now().toString(36)}`;
    },

    /** user/ PUT and PATCH: the username (on the session's authority, claimed like set_username's) and the names. */
    async updateUser(
      userId: string,
      changes: { username?: string; firstName?: string; lastName?: string },
      metadata?: EventMetadata,
    ): Promise<Account> {
      if (changes.username !== undefined)
        await deps.username.set({ userId, verifiedHash: await currentHash(userId), value: changes.username }, metadata);
      const names = {
        ...(changes.firstName !== undefined ? { firstName: changes.firstName } : {}),
        ...(changes.lastName !== undefined ? { lastName: changes.lastName } : {}),
      };
      if (Object.keys(names).length) await deps.profile.update(userId, names, metadata);
      const state = await accounts.load(userId);
      if (!isAccount(state)) throw new DomainError('not_found');
      return state;
    },
  };
}

export type DjRestAuthUseCases = ReturnType<typeof djRestAuthUseCases>;
