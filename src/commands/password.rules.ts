// Password rules: set with the verified current password; reset by a link, only for accounts that may get one.
import { userEvent, type UserEvent } from '../events/user.events.js';
import { DomainError } from './decider.js';
import { isLiveSession, type Account, type UserState } from './account.state.js';
import {
  emailRequestDue,
  emailRequested,
  mayReceiveResetEmail,
  requireAccount,
  requireLink,
  requireVerifiedPassword,
  type LinkToken,
} from './shared.rules.js';
import { onAccount, type Evolvers } from './evolvers.js';
import { sessionRevoked } from './tokens.rules.js';

export type PasswordCommand =
  | {
      readonly type: 'SetPassword';
      /** The hash the use case checked the current password against. */
      readonly verifiedHash: string;
      readonly passwordHash: string;
      /** LOGOUT_ON_PASSWORD_CHANGE */
      readonly logout: boolean;
      /**
       * Without logout, the JWT session the change was made in (null: made with a DRF token): every other session
       * ends, since whoever holds one may be who the password was changed against. Absent: sessions are untouched.
       */
      readonly keepSession?: string | null;
      readonly now: Date;
    }
  | {
      readonly type: 'RequestPasswordReset';
      readonly window: number;
      /** The dj-rest-auth surface's reset: allauth's email, its link (absent: djoser's). */
      readonly surface?: 'dj_rest_auth';
      readonly now: Date;
    }
  | {
      readonly type: 'ResetPassword';
      readonly link: LinkToken;
      /** Which link it is: djoser's (default) or the dj-rest-auth surface's. */
      readonly purpose?: ResetPurpose;
      readonly passwordHash: string;
      readonly logout: boolean;
      readonly now: Date;
    };

/** LOGOUT_ON_PASSWORD_CHANGE: the DRF token goes, and every JWT session with it. */
const logoutEvents = (account: Account, logout: boolean, at: string): UserEvent[] =>
  logout
    ? [
        ...(account.token ? [userEvent('AuthTokenDestroyed', { userId: account.id, at })] : []),
        userEvent('AllSessionsRevoked', { userId: account.id, reason: 'password_set', epoch: account.security.sessionEpoch + 1, at }),
      ]
    : [];

/** The account's live JWT sessions other than `keep`, each ended. */
const otherSessionsRevoked = (account: Account, keep: string | null, now: Date): UserEvent[] =>
  [...account.security.sessions]
    .filter(([id, session]) => id !== keep && isLiveSession(session, now.getTime()))
    .map(([sessionId, session]) => sessionRevoked(account, sessionId, session, 'password_set', now));

export function setPassword(command: Extract<PasswordCommand, { type: 'SetPassword' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  requireVerifiedPassword(account, command.verifiedHash);
  const at = command.now.toISOString();
  const others =
    !command.logout && command.keepSession !== undefined ? otherSessionsRevoked(account, command.keepSession, command.now) : [];
  return [
    userEvent('PasswordChanged', { userId: account.id, passwordHash: command.passwordHash, reason: 'set', at }),
    ...logoutEvents(account, command.logout, at),
    ...others,
  ];
}

export function requestPasswordReset(command: Extract<PasswordCommand, { type: 'RequestPasswordReset' }>, state: UserState): UserEvent[] {
  if (!mayReceiveResetEmail(state)) throw new DomainError('not_found');
  if (!emailRequestDue(state, 'password_reset', command.now, command.window)) return [];
  const surface = command.surface ? { surface: command.surface } : {};
  return [userEvent('PasswordResetRequested', { userId: state.id, ...surface, at: command.now.toISOString() })];
}

/** The links a password can be reset by: djoser's, and the dj-rest-auth surface's (allauth's link shape). */
export type ResetPurpose = 'password_reset' | 'allauth_password_reset';

/** The reset link's check, on its own so the use case can run it before it hashes the new password. */
export const checkResetLink = (state: UserState, link: LinkToken, now: Date, purpose: ResetPurpose = 'password_reset'): Account =>
  requireLink(state, link, purpose, now);

export function resetPassword(command: Extract<PasswordCommand, { type: 'ResetPassword' }>, state: UserState): UserEvent[] {
  const account = checkResetLink(state, command.link, command.now, command.purpose);
  const at = command.now.toISOString();
  // djoser's reset also stamps last_login, which kills the link for good. Whoever asked for a reset may have lost
  // the password to someone else: every JWT session ends (the DRF token only with LOGOUT_ON_PASSWORD_CHANGE, as djoser).
  return [
    userEvent('PasswordChanged', { userId: account.id, passwordHash: command.passwordHash, reason: 'reset', at }),
    userEvent('UserLoggedIn', { userId: account.id, at }),
    ...(command.logout && account.token ? [userEvent('AuthTokenDestroyed', { userId: account.id, at })] : []),
    userEvent('AllSessionsRevoked', { userId: account.id, reason: 'password_reset', epoch: account.security.sessionEpoch + 1, at }),
  ];
}

export const passwordEvolvers: Evolvers = {
  // A reset also lifts a lock: the owner proved they hold the mailbox.
  PasswordChanged: onAccount((account, { data }) => ({
    ...account,
    passwordHash: data.passwordHash,
    ...(data.reason === 'reset' ? { security: { ...account.security, failures: 0, lockedUntil: null, locks: 0 } } : {}),
  })),
  PasswordResetRequested: onAccount((account, { data }) => emailRequested(account, 'password_reset', data.at)),
  PasswordRehashed: onAccount((account, { data }) => ({ ...account, passwordHash: data.passwordHash })),
};
