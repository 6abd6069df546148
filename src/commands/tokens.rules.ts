// Login rules: an active account whose password matched logs in, unless too many failed logins locked it; every
// attempt is recorded, and a refused one answers exactly like a wrong password (no enumeration). DRF keeps one auth
// token per user; a JWT login starts a session (a refresh-token family) that refreshes, rotates and is revoked here.
import { userEvent, type UserEvent } from '../events/user.events.js';
import { DomainError } from './decider.js';
import { isAccount, isLiveSession, type Account, type Security, type Session, type UserState } from './account.state.js';
import { requireAccount } from './shared.rules.js';
import { onAccount, type Evolvers } from './evolvers.js';
import { isEmailVerified } from './email-verification.rules.js';

/** LOCKOUT_*: after `threshold` failures in a row the account locks for `seconds`, twice as long each time, capped. */
export interface LockoutPolicy {
  readonly threshold: number;
  readonly seconds: number;
  readonly maxSeconds: number;
}

/** A new JWT session's facts: the use case made the ids, the clock gives the expiry. */
export interface NewSession {
  readonly sessionId: string;
  readonly refreshJti: string;
  readonly expires: Date;
  /** The exp of the access token the login hands out. */
  readonly accessExpires: Date;
  readonly ip?: string;
  readonly userAgent?: string;
}

export type LoginMethod = 'token' | 'jwt' | 'cookie';

export type TokenCommand =
  | {
      readonly type: 'LogIn';
      readonly method: LoginMethod;
      /** Whether the use case found the password right (it verified it against the account's hash). */
      readonly passwordMatched: boolean;
      readonly lockout: LockoutPolicy;
      /**
       * token/login/: the DRF token to create if the user has none (Token.objects.get_or_create), or instead of
       * the one whose key hash is `replaces` (a token whose key can no longer be handed out: SECRET_KEY changed).
       */
      readonly newToken?: { readonly tokenId: string; readonly keyHash: string; readonly replaces?: string };
      /** A JWT login: the session it starts. */
      readonly session?: NewSession;
      /** MAX_SESSIONS_PER_USER: live sessions the account keeps; a new one past it revokes the oldest. */
      readonly maxSessions?: number;
      /** Stamp last_login (djoser's token login always; jwt/create with simplejwt's UPDATE_LAST_LOGIN). */
      readonly recordLastLogin: boolean;
      /** The password hashed again (argon2id) when the stored hash is an imported Django one. */
      readonly rehash?: string;
      /** allauth's ACCOUNT_EMAIL_VERIFICATION=mandatory: the account's email must be verified. */
      readonly requireVerifiedEmail?: boolean;
      readonly now: Date;
    }
  | { readonly type: 'LogOut'; readonly now: Date }
  | {
      readonly type: 'RefreshSession';
      /** From the refresh token's claims. */
      readonly sessionId: string;
      readonly jti: string;
      readonly epoch: number;
      /** ROTATE_REFRESH_TOKENS: the refresh token that replaces this one. */
      readonly rotateTo?: { readonly refreshJti: string; readonly expires: Date };
      /** The exp of the access token the refresh hands out. */
      readonly accessExpires: Date;
      /** BLACKLIST_AFTER_ROTATION: a refresh token replaced earlier is a reuse, and revokes its whole family. */
      readonly detectReuse: boolean;
      readonly now: Date;
    }
  | { readonly type: 'RevokeSession'; readonly sessionId: string; readonly reason: 'logout' | 'blacklist' | 'user'; readonly now: Date }
  | { readonly type: 'RevokeAllSessions'; readonly now: Date }
  | {
      readonly type: 'RejectCurrentPassword';
      readonly action: 'set_password' | 'set_username' | 'delete' | 'change_email';
      readonly now: Date;
    };

const isLocked = (security: Security, now: Date) => security.lockedUntil !== null && Date.parse(security.lockedUntil) > now.getTime();

/** How long the next lock lasts: the base, doubled for each lock since the last successful login, capped. */
const lockSeconds = (security: Security, policy: LockoutPolicy) => Math.min(policy.maxSeconds, policy.seconds * 2 ** security.locks);

export function logIn(command: Extract<TokenCommand, { type: 'LogIn' }>, state: UserState): UserEvent[] {
  if (!isAccount(state)) throw new DomainError('invalid_credentials');
  const { method, now } = command;
  const at = now.toISOString();
  const userId = state.id;
  const security = state.security;
  // A locked account refuses even the right password, and the lock does not grow while it holds.
  if (isLocked(security, now)) return [userEvent('LoginFailed', { userId, method, reason: 'locked', at })];
  if (!command.passwordMatched) {
    const failures = security.failures + 1;
    const failed = userEvent('LoginFailed', { userId, method, reason: 'password', at });
    if (failures < command.lockout.threshold) return [failed];
    const until = new Date(now.getTime() + lockSeconds(security, command.lockout) * 1000).toISOString();
    return [failed, userEvent('AccountLocked', { userId, until, failures, at })];
  }
  // The right password of an inactive account is no guess: it is recorded, but not counted towards a lock.
  if (state.status !== 'active') return [userEvent('LoginFailed', { userId, method, reason: 'inactive', at })];
  // Not counted either: the password was right (the answer says so: allauth's "E-mail is not verified.").
  if (command.requireVerifiedEmail && !isEmailVerified(state))
    return [userEvent('LoginFailed', { userId, method, reason: 'unverified', at })];
  const token = command.newToken;
  const replacing = token?.replaces !== undefined && state.token?.keyHash === token.replaces;
  const session = command.session;
  const evicted = session ? oldestSessionsOverLimit(state, command.maxSessions, now) : [];
  return [
    ...(command.rehash ? [userEvent('PasswordRehashed', { userId, passwordHash: command.rehash, at })] : []),
    ...(replacing ? [userEvent('AuthTokenDestroyed', { userId, at })] : []),
    ...(token && (!state.token || replacing)
      ? [userEvent('AuthTokenCreated', { userId, tokenId: token.tokenId, keyHash: token.keyHash, at })]
      : []),
    ...(command.recordLastLogin ? [userEvent('UserLoggedIn', { userId, at })] : []),
    userEvent('LoginSucceeded', { userId, method, ...(session ? { sessionId: session.sessionId } : {}), at }),
    ...evicted.map(([sessionId, evictedSession]) => sessionRevoked(state, sessionId, evictedSession, 'limit', now)),
    ...(session
      ? [
          userEvent('SessionStarted', {
            userId,
            sessionId: session.sessionId,
            refreshJti: session.refreshJti,
            expires: session.expires.toISOString(),
            accessExpires: session.accessExpires.toISOString(),
            ...(session.ip ? { ip: session.ip } : {}),
            ...(session.userAgent ? { userAgent: session.userAgent } : {}),
            at,
          }),
        ]
      : []),
  ];
}

/** The live sessions a new one pushes past the limit, oldest first (by start, then id: a stable choice). */
function oldestSessionsOverLimit(account: Account, limit: number | undefined, now: Date) {
  if (limit === undefined) return [];
  const { sessions } = account.security;
  // Counted first, without building anything: under the limit (nearly every login) that is all.
  let count = 0;
  for (const session of sessions.values()) if (isLiveSession(session, now.getTime())) count++;
  if (count < limit) return [];
  const live = [...sessions].filter(([, s]) => isLiveSession(s, now.getTime()));
  // Code-point order (both are ASCII: ISO times and hex ids): a stable choice, without a locale's cost.
  const before = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  const byAge = live.sort(([a, x], [b, y]) => before(x.created, y.created) || before(a, b));
  return byAge.slice(0, live.length - limit + 1);
}

/** Whether a login decided the events of a refusal (the use case then answers as for a wrong password). */
export const loginRefused = (events: readonly UserEvent[]): boolean => events.some((e) => e.type === 'LoginFailed');

/** Whether a login was refused for an unverified email only (the password was right). */
export const refusedUnverified = (events: readonly UserEvent[]): boolean =>
  events.some((e) => e.type === 'LoginFailed' && e.data.reason === 'unverified');

export function logOut(command: Extract<TokenCommand, { type: 'LogOut' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  return account.token ? [userEvent('AuthTokenDestroyed', { userId: account.id, at: command.now.toISOString() })] : [];
}

/** The session a refresh token names, if it can still be used: same epoch, not revoked, not expired. */
function liveSession(account: Account, sessionId: string, epoch: number, now: Date) {
  const session = account.security.sessions.get(sessionId);
  const live = session && isLiveSession(session, now.getTime()) && epoch === account.security.sessionEpoch;
  return live ? session : null;
}

/** simplejwt's message for a blacklisted token. */
const blacklisted = () => new DomainError('token_not_valid', { message: 'Token is blacklisted' });

export function refreshSession(command: Extract<TokenCommand, { type: 'RefreshSession' }>, state: UserState): UserEvent[] {
  // A deleted or deactivated account gets no new access token (simplejwt 5.2 would still issue one).
  if (!isAccount(state) || state.status !== 'active') throw new DomainError('no_active_account');
  const session = liveSession(state, command.sessionId, command.epoch, command.now);
  if (!session) throw blacklisted();
  const at = command.now.toISOString();
  const userId = state.id;
  if (command.detectReuse && command.jti !== session.refreshJti) {
    // A refresh token already replaced, used again: someone holds a copy. The whole family goes.
    return [sessionRevoked(state, command.sessionId, session, 'reuse', command.now)];
  }
  const next = command.rotateTo;
  return [
    userEvent('SessionRefreshed', {
      userId,
      sessionId: command.sessionId,
      refreshJti: next?.refreshJti ?? session.refreshJti,
      expires: next?.expires.toISOString() ?? session.expires,
      accessExpires: command.accessExpires.toISOString(),
      at,
    }),
  ];
}

/** Whether a refresh decided a revocation (reuse detected): the use case refuses the token. */
export const refreshRefused = (events: readonly UserEvent[]): boolean => events.some((e) => e.type === 'SessionRevoked');

export function revokeSession(command: Extract<TokenCommand, { type: 'RevokeSession' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  const session = account.security.sessions.get(command.sessionId);
  if (!session || session.revoked) throw blacklisted();
  return [sessionRevoked(account, command.sessionId, session, command.reason, command.now)];
}

/**
 * The end of one session, however it ends: it names the session's expiry and the latest exp of its access tokens,
 * which bound how long every instance must go on refusing them (see tokens.projection.ts).
 */
export function sessionRevoked(
  account: Account,
  sessionId: string,
  session: Session,
  reason: Extract<UserEvent, { type: 'SessionRevoked' }>['data']['reason'],
  now: Date,
): UserEvent {
  return userEvent('SessionRevoked', {
    userId: account.id,
    sessionId,
    reason,
    expires: session.expires,
    ...(session.accessExpires ? { accessExpires: session.accessExpires } : {}),
    at: now.toISOString(),
  });
}

export function revokeAllSessions(command: Extract<TokenCommand, { type: 'RevokeAllSessions' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  return [
    userEvent('AllSessionsRevoked', {
      userId: account.id,
      reason: 'user',
      epoch: account.security.sessionEpoch + 1,
      at: command.now.toISOString(),
    }),
  ];
}

export function rejectCurrentPassword(command: Extract<TokenCommand, { type: 'RejectCurrentPassword' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  return [userEvent('CurrentPasswordRejected', { userId: account.id, action: command.action, at: command.now.toISOString() })];
}

/** The later of two times, either of which may be unknown. */
const laterOf = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined ? b : b === undefined || Date.parse(a) >= Date.parse(b) ? a : b;

const withSecurity = (account: Account, change: Partial<Security>): Account => ({
  ...account,
  security: { ...account.security, ...change },
});

/**
 * Sessions past their expiry or revoked are forgotten as new ones come, so an account's state holds at most
 * MAX_SESSIONS_PER_USER and those ended since the last login (a session not in it is refused as a revoked one is;
 * the read model keeps revocations while their access tokens can live). Each JWT login folds this: one pass over the
 * map builds the copy that holds the new session.
 */
function withLiveSessions(sessions: Security['sessions'], at: string, added: readonly [string, Session]): Security['sessions'] {
  const now = Date.parse(at);
  const next = new Map(sessions);
  for (const [id, session] of sessions) if (!isLiveSession(session, now)) next.delete(id);
  return next.set(...added);
}

export const tokenEvolvers: Evolvers = {
  UserLoggedIn: onAccount((account, { data }) => ({ ...account, lastLogin: data.at })),
  LoginSucceeded: onAccount((account) => withSecurity(account, { failures: 0, locks: 0, lockedUntil: null })),
  LoginFailed: onAccount((account, { data }) =>
    data.reason === 'password' ? withSecurity(account, { failures: account.security.failures + 1 }) : account,
  ),
  AccountLocked: onAccount((account, { data }) =>
    withSecurity(account, { failures: 0, lockedUntil: data.until, locks: account.security.locks + 1 }),
  ),
  AccountUnlocked: onAccount((account) => withSecurity(account, { failures: 0, lockedUntil: null, locks: 0 })),
  CurrentPasswordRejected: (state) => state,
  SessionStarted: onAccount((account, { data }) =>
    withSecurity(account, {
      sessions: withLiveSessions(account.security.sessions, data.at, [
        data.sessionId,
        {
          created: data.at,
          lastUsed: data.at,
          refreshJti: data.refreshJti,
          expires: data.expires,
          revoked: false,
          ...(data.accessExpires ? { accessExpires: data.accessExpires } : {}),
          ...(data.ip ? { ip: data.ip } : {}),
          ...(data.userAgent ? { userAgent: data.userAgent } : {}),
        },
      ]),
    }),
  ),
  SessionRefreshed: onAccount((account, { data }) => {
    const session = account.security.sessions.get(data.sessionId);
    if (!session) return account;
    // The latest of the access tokens' exps (a shorter ACCESS_TOKEN_LIFETIME since leaves the older, longer one).
    const accessExpires = laterOf(session.accessExpires, data.accessExpires);
    const refreshed = {
      ...session,
      lastUsed: data.at,
      refreshJti: data.refreshJti,
      expires: data.expires,
      ...(accessExpires ? { accessExpires } : {}),
    };
    return withSecurity(account, { sessions: new Map(account.security.sessions).set(data.sessionId, refreshed) });
  }),
  SessionRevoked: onAccount((account, { data }) => {
    const session = account.security.sessions.get(data.sessionId);
    if (!session) return account;
    return withSecurity(account, { sessions: new Map(account.security.sessions).set(data.sessionId, { ...session, revoked: true }) });
  }),
  AllSessionsRevoked: onAccount((account, { data }) => withSecurity(account, { sessionEpoch: data.epoch, sessions: new Map() })),
  AuthTokenCreated: onAccount((account, { data }) => ({
    ...account,
    token: { tokenId: data.tokenId, keyHash: data.keyHash, created: data.at },
  })),
  AuthTokenImported: onAccount((account, { data }) => ({
    ...account,
    token: { keyHash: data.keyHash, sealedKey: data.sealedKey, created: data.created },
  })),
  AuthTokenDestroyed: onAccount((account) => ({ ...account, token: null })),
};
