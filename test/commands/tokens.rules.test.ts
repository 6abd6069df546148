import { describe, it } from 'node:test';
import { userEvent, type UserEvent } from '../../src/events/user.events.js';
import { at, earlier, given, now, registered, tokenCreated, userId } from './given.js';

const lockout = { threshold: 3, seconds: 60, maxSeconds: 3_600 };
const login = { type: 'LogIn', method: 'token', passwordMatched: true, lockout, recordLastLogin: true } as const;
const wrong = { ...login, passwordMatched: false } as const;
const newToken = { tokenId: 't2', keyHash: 'h2' };
const failed = (reason: 'password' | 'inactive' | 'locked') => userEvent('LoginFailed', { userId, method: 'token', reason, at });
const succeeded = userEvent('LoginSucceeded', { userId, method: 'token', at });
const failures = (n: number, method: 'token' | 'jwt' = 'token'): UserEvent[] =>
  Array.from({ length: n }, () => userEvent('LoginFailed', { userId, method, reason: 'password', at: earlier }));
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000).toISOString();

describe('LogIn', () => {
  it('records a login of an active account whose password matched', () => {
    given([registered(true)])
      .when(login)
      .then([userEvent('UserLoggedIn', { userId, at }), succeeded]);
  });
  it('records a wrong password (never the password itself)', () => {
    given([registered(true)])
      .when(wrong)
      .then([failed('password')]);
  });
  it('records an inactive account with the right password, not counted as a guess', () => {
    given([registered(false)])
      .when(login)
      .then([failed('inactive')]);
  });
  it('refuses a deleted account (nothing to record: the use case answers as for a wrong password)', () => {
    given([registered(true), userEvent('UserDeleted', { userId, at })])
      .when(login)
      .thenRejects('invalid_credentials');
  });
  it('creates the one DRF token when there is none', () => {
    given([registered(true)])
      .when({ ...login, newToken })
      .then([userEvent('AuthTokenCreated', { userId, ...newToken, at }), userEvent('UserLoggedIn', { userId, at }), succeeded]);
  });
  it('keeps the existing token (get_or_create)', () => {
    given([registered(true), tokenCreated])
      .when({ ...login, newToken })
      .then([userEvent('UserLoggedIn', { userId, at }), succeeded]);
  });
  it('a JWT login without UPDATE_LAST_LOGIN records the login and the session it starts', () => {
    const session = {
      sessionId: 's1',
      refreshJti: 'r1',
      expires: new Date(later(86_400)),
      accessExpires: new Date(later(300)),
      ip: '10.0.0.1',
    };
    given([registered(true)])
      .when({ ...login, method: 'jwt', recordLastLogin: false, session })
      .then([
        userEvent('LoginSucceeded', { userId, method: 'jwt', sessionId: 's1', at }),
        userEvent('SessionStarted', {
          userId,
          sessionId: 's1',
          refreshJti: 'r1',
          expires: later(86_400),
          accessExpires: later(300),
          ip: '10.0.0.1',
          at,
        }),
      ]);
  });
});

describe('LogIn: MAX_SESSIONS_PER_USER', () => {
  const startedAt = (sessionId: string, when: string, expires = later(3_600)) =>
    userEvent('SessionStarted', { userId, sessionId, refreshJti: `r-${sessionId}`, expires, at: when });
  const jwtLogin = (sessionId: string) =>
    ({
      ...login,
      method: 'jwt',
      recordLastLogin: false,
      maxSessions: 2,
      session: { sessionId, refreshJti: `r-${sessionId}`, expires: new Date(later(86_400)), accessExpires: new Date(later(300)) },
    }) as const;
  const started = (sessionId: string) => [
    userEvent('LoginSucceeded', { userId, method: 'jwt', sessionId, at }),
    userEvent('SessionStarted', { userId, sessionId, refreshJti: `r-${sessionId}`, expires: later(86_400), accessExpires: later(300), at }),
  ];
  const revokedForLimit = (sessionId: string, expires = later(3_600)) =>
    userEvent('SessionRevoked', { userId, sessionId, reason: 'limit', expires, at });

  it('under the limit a login only starts its session', () => {
    given([registered(true), startedAt('a', earlier)])
      .when(jwtLogin('n'))
      .then(started('n'));
  });
  it('at the limit the oldest live session is revoked for the new one', () => {
    // b started before a: age is the start, not the order of ids.
    given([registered(true), startedAt('b', '2026-01-01T00:00:00.000Z'), startedAt('a', '2026-01-01T01:00:00.000Z')])
      .when(jwtLogin('n'))
      .then([started('n')[0]!, revokedForLimit('b'), started('n')[1]!]);
  });
  it('expired and revoked sessions do not count towards it', () => {
    const expiredOne = startedAt('x', '2025-12-01T00:00:00.000Z', '2025-12-02T00:00:00.000Z');
    const revoked = userEvent('SessionRevoked', { userId, sessionId: 'r', reason: 'logout', expires: later(3_600), at: earlier });
    given([registered(true), expiredOne, startedAt('r', earlier), revoked, startedAt('a', earlier)])
      .when(jwtLogin('n'))
      .then(started('n'));
  });
  it('a limit lowered since revokes as many as it takes, oldest first', () => {
    given([
      registered(true),
      startedAt('a', '2026-01-01T00:00:00.000Z'),
      startedAt('b', '2026-01-01T00:00:00.000Z'),
      startedAt('c', '2026-01-01T02:00:00.000Z'),
    ])
      .when(jwtLogin('n'))
      .then([started('n')[0]!, revokedForLimit('a'), revokedForLimit('b'), started('n')[1]!]);
  });
  it('a session pushed out names the latest exp of its access tokens (unknown for sessions from before it was recorded)', () => {
    const withAccess = userEvent('SessionStarted', {
      userId,
      sessionId: 'b',
      refreshJti: 'r-b',
      expires: later(3_600),
      accessExpires: '2026-01-01T00:05:00.000Z',
      at: '2026-01-01T00:00:00.000Z',
    });
    given([registered(true), withAccess, startedAt('a', '2026-01-01T01:00:00.000Z')])
      .when(jwtLogin('n'))
      .then([
        started('n')[0]!,
        userEvent('SessionRevoked', {
          userId,
          sessionId: 'b',
          reason: 'limit',
          expires: later(3_600),
          accessExpires: '2026-01-01T00:05:00.000Z',
          at,
        }),
        started('n')[1]!,
      ]);
  });
  it('a token login starts no session and revokes none', () => {
    given([registered(true), startedAt('a', earlier), startedAt('b', earlier)])
      .when({ ...login, maxSessions: 1 })
      .then([userEvent('UserLoggedIn', { userId, at }), succeeded]);
  });
});

describe('LogIn: lockout', () => {
  it('the failure that reaches the threshold locks the account', () => {
    given([registered(true), ...failures(2)])
      .when(wrong)
      .then([failed('password'), userEvent('AccountLocked', { userId, until: later(60), failures: 3, at })]);
  });
  it('a locked account refuses even the right password, answering as for a wrong one, and the lock does not grow', () => {
    const locked = [registered(true), ...failures(2), userEvent('AccountLocked', { userId, until: later(60), failures: 3, at: earlier })];
    given(locked)
      .when(login)
      .then([failed('locked')]);
    given(locked)
      .when(wrong)
      .then([failed('locked')]);
  });
  it('each further lock lasts twice as long, up to the cap', () => {
    const firstLock = userEvent('AccountLocked', { userId, until: earlier, failures: 3, at: earlier });
    given([registered(true), ...failures(2), firstLock, ...failures(2)])
      .when(wrong)
      .then([failed('password'), userEvent('AccountLocked', { userId, until: later(120), failures: 3, at })]);
  });
  it('a successful login resets the count and the lock length', () => {
    const firstLock = userEvent('AccountLocked', { userId, until: earlier, failures: 3, at: earlier });
    given([
      registered(true),
      ...failures(2),
      firstLock,
      userEvent('LoginSucceeded', { userId, method: 'jwt', at: earlier }),
      ...failures(2),
    ])
      .when(wrong)
      .then([failed('password'), userEvent('AccountLocked', { userId, until: later(60), failures: 3, at })]);
  });
  it('a password reset lifts a lock', () => {
    const locked = [registered(true), userEvent('AccountLocked', { userId, until: later(60), failures: 3, at: earlier })];
    given([...locked, userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'reset', at: earlier })])
      .when(login)
      .then([userEvent('UserLoggedIn', { userId, at }), succeeded]);
  });
  it('imported accounts are rehashed at a successful login', () => {
    given([registered(true)])
      .when({ ...login, rehash: '$argon2id$new' })
      .then([
        userEvent('PasswordRehashed', { userId, passwordHash: '$argon2id$new', at }),
        userEvent('UserLoggedIn', { userId, at }),
        succeeded,
      ]);
  });
  it('replaces a token whose key can no longer be handed out (SECRET_KEY changed)', () => {
    given([registered(true), tokenCreated])
      .when({ ...login, newToken: { ...newToken, replaces: 'h1' } })
      .then([
        userEvent('AuthTokenDestroyed', { userId, at }),
        userEvent('AuthTokenCreated', { userId, ...newToken, at }),
        userEvent('UserLoggedIn', { userId, at }),
        succeeded,
      ]);
  });
});

describe('JWT sessions', () => {
  const started = userEvent('SessionStarted', { userId, sessionId: 's1', refreshJti: 'r1', expires: later(86_400), at: earlier });
  const refresh = {
    type: 'RefreshSession',
    sessionId: 's1',
    jti: 'r1',
    epoch: 0,
    detectReuse: false,
    accessExpires: new Date(later(300)),
  } as const;
  it('a refresh records the use of its session', () => {
    given([registered(true), started])
      .when(refresh)
      .then([
        userEvent('SessionRefreshed', { userId, sessionId: 's1', refreshJti: 'r1', expires: later(86_400), accessExpires: later(300), at }),
      ]);
  });
  it('rotation replaces the refresh token; the replaced one, used again, revokes the whole session', () => {
    const rotated = userEvent('SessionRefreshed', {
      userId,
      sessionId: 's1',
      refreshJti: 'r2',
      expires: later(86_400),
      accessExpires: later(120),
      at: earlier,
    });
    given([registered(true), started])
      .when({ ...refresh, rotateTo: { refreshJti: 'r2', expires: new Date(later(86_400)) }, detectReuse: true })
      .then([
        userEvent('SessionRefreshed', { userId, sessionId: 's1', refreshJti: 'r2', expires: later(86_400), accessExpires: later(300), at }),
      ]);
    given([registered(true), started, rotated])
      .when({ ...refresh, detectReuse: true })
      .then([
        userEvent('SessionRevoked', { userId, sessionId: 's1', reason: 'reuse', expires: later(86_400), accessExpires: later(120), at }),
      ]);
  });
  it('a revoked session, an older epoch or an inactive account refreshes nothing', () => {
    const revoked = userEvent('SessionRevoked', { userId, sessionId: 's1', reason: 'blacklist', expires: later(86_400), at: earlier });
    given([registered(true), started, revoked])
      .when(refresh)
      .thenRejects('token_not_valid');
    given([registered(true), started, userEvent('AllSessionsRevoked', { userId, reason: 'password_reset', epoch: 1, at: earlier })])
      .when(refresh)
      .thenRejects('token_not_valid');
    given([registered(true), started, userEvent('UserDeactivated', { userId, reason: 'staff', at: earlier })])
      .when(refresh)
      .thenRejects('no_active_account');
  });
  it('blacklisting ends a session once', () => {
    const revoke = { type: 'RevokeSession', sessionId: 's1', reason: 'blacklist' } as const;
    given([registered(true), started])
      .when(revoke)
      .then([userEvent('SessionRevoked', { userId, sessionId: 's1', reason: 'blacklist', expires: later(86_400), at })]);
    given([registered(true)])
      .when(revoke)
      .thenRejects('token_not_valid');
  });
  it("a session's access exp is the latest it issued: a refresh under a shorter ACCESS_TOKEN_LIFETIME keeps the longer", () => {
    const longer = userEvent('SessionStarted', {
      userId,
      sessionId: 's1',
      refreshJti: 'r1',
      expires: later(86_400),
      accessExpires: later(3_600),
      at: earlier,
    });
    const shorter = userEvent('SessionRefreshed', {
      userId,
      sessionId: 's1',
      refreshJti: 'r1',
      expires: later(86_400),
      accessExpires: later(60),
      at: earlier,
    });
    given([registered(true), longer, shorter])
      .when({ type: 'RevokeSession', sessionId: 's1', reason: 'logout' })
      .then([
        userEvent('SessionRevoked', { userId, sessionId: 's1', reason: 'logout', expires: later(86_400), accessExpires: later(3_600), at }),
      ]);
  });
  it('ending every session moves the epoch', () => {
    given([registered(true), started])
      .when({ type: 'RevokeAllSessions' })
      .then([userEvent('AllSessionsRevoked', { userId, reason: 'user', epoch: 1, at })]);
  });
});

describe('LogOut and wrong current passwords', () => {
  it('destroys the token', () => {
    given([registered(true), tokenCreated])
      .when({ type: 'LogOut' })
      .then([userEvent('AuthTokenDestroyed', { userId, at })]);
  });
  it('without a token decides nothing', () => {
    given([registered(true)])
      .when({ type: 'LogOut' })
      .then([]);
  });
  it('records a wrong current password', () => {
    given([registered(true)])
      .when({ type: 'RejectCurrentPassword', action: 'delete' })
      .then([userEvent('CurrentPasswordRejected', { userId, action: 'delete', at })]);
  });
});
