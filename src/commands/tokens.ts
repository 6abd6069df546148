// Logging in and out: DRF tokens (token/login/, token/logout/), simplejwt's JWTs (jwt/create/, refresh/, verify/,
// blacklist/) and the sessions they make. A login checks the password against the event store, never the read model
// (it may have just changed); an unknown login costs one argon2 verify too, and every refusal answers the same, so
// neither timing nor body tells which accounts exist. Every attempt is an event: failures count towards a lock.
import { hashTokenKey, newTokenId, tokenKey } from '../crypto/auth-tokens.js';
import { newJti, type JwtClaims, type JwtService } from '../crypto/jwt.js';
import { unseal } from '../crypto/sealed.js';
import type { UserDoc } from '../readmodel/port.js';
import type { EventMetadata } from './command-handler.js';
import { DomainError } from './decider.js';
import { isAccount, isLiveSession, type Account, type AuthToken, type UserState } from './account.state.js';
import { emailKey, usernameKey } from './normalize.js';
import { loginRefused, refreshRefused, refusedUnverified, type LoginMethod } from './tokens.rules.js';
import type { UseCaseDeps } from './accounts.js';

/** How the login name is looked up: djoser's LOGIN_FIELD, or, for dj-rest-auth, whichever matches. */
export type LoginBy = 'username' | 'email' | 'username_email';

export interface LoginOptions {
  readonly method: LoginMethod;
  readonly by?: LoginBy;
  /** token/login/: the DRF token (get_or_create). */
  readonly drfToken?: boolean;
  /** A JWT login: starts a session. */
  readonly session?: boolean;
  readonly recordLastLogin: boolean;
  /** allauth's ACCOUNT_EMAIL_VERIFICATION=mandatory: refused (email_not_verified) unless the email is verified. */
  readonly requireVerifiedEmail?: boolean;
}

/** A session as the user may see it (users/me/sessions/). */
export interface SessionView {
  readonly id: string;
  readonly kind: 'token' | 'jwt';
  readonly created: string;
  readonly lastUsed: string | null;
  readonly expires: string | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export const DRF_TOKEN_SESSION = 'token';

export function tokenUseCases(deps: UseCaseDeps & { jwt: JwtService }) {
  const { config, readModel, accounts, hasher, jwt, model } = deps;
  const lockout = { threshold: config.LOCKOUT_THRESHOLD, seconds: config.LOCKOUT_DURATION, maxSeconds: config.LOCKOUT_MAX_DURATION };
  const refreshLifetimeMs = config.REFRESH_TOKEN_LIFETIME * 1000;
  // The exp of an access token issued now, in whole seconds as JWTs carry it: decided with the command and recorded
  // in its event, so the log knows how long every access token of a session can live.
  const accessExpiry = (now: Date) => new Date((Math.floor(now.getTime() / 1000) + config.ACCESS_TOKEN_LIFETIME) * 1000);

  async function findUser(login: string, by: LoginBy): Promise<UserDoc | null> {
    if (by !== 'email') {
      const byName = model.usernameField === 'username' ? await readModel.findUserByUsername(usernameKey(login)) : null;
      if (byName || by === 'username') return byName;
    }
    return (await readModel.findUsersByEmail(emailKey(login)))[0] ?? null;
  }

  /** Checks the credentials and runs the login; the decider says whether it is one (active, password right, not locked). */
  async function logIn(
    login: string,
    password: string,
    options: LoginOptions,
    metadata: EventMetadata = {},
  ): Promise<{ account: Account; sessionId?: string }> {
    const user = await findUser(login, options.by ?? model.loginField);
    const state = user ? await accounts.load(user.id) : null;
    if (!state || !isAccount(state)) {
      await hasher.verifyNothing(password);
      const by = options.by ?? model.loginField;
      const field = by === 'username_email' ? (login.includes('@') ? 'email' : 'username') : by;
      // Recorded for the auditor (a keyed hash of the name, never the name): one append, as a known account's failure.
      await deps.unknownLogins.record({ login, field, method: options.method === 'cookie' ? 'dj-rest-auth' : options.method }, metadata);
      throw new DomainError('invalid_credentials');
    }
    let passwordMatched = false;
    if (state.passwordHash === null) await hasher.verifyNothing(password);
    else passwordMatched = await hasher.verify(state.passwordHash, password);
    // An imported Django hash (or weaker argon2 parameters) is replaced now that the password is known.
    const rehash =
      passwordMatched && state.status === 'active' && hasher.needsRehash(state.passwordHash!) ? await hasher.hash(password) : undefined;
    // A token whose key cannot be handed out again (SECRET_KEY changed since it was made) is replaced.
    const unusable = state.token && !usableToken(deps.secretKey, state.token) ? { replaces: state.token.keyHash } : {};
    const now = deps.now();
    const session = options.session ? newSession(now, metadata) : undefined;
    const command = {
      type: 'LogIn',
      method: options.method,
      passwordMatched,
      lockout,
      ...(rehash ? { rehash } : {}),
      ...(options.drfToken ? { newToken: { ...newDrfToken(), ...unusable } } : {}),
      ...(session ? { session, maxSessions: config.MAX_SESSIONS_PER_USER } : {}),
      recordLastLogin: options.recordLastLogin,
      ...(options.requireVerifiedEmail ? { requireVerifiedEmail: true } : {}),
      now,
    } as const;
    const result = await accounts.execute(state.id, command, metadata);
    if (refusedUnverified(result.events)) throw new DomainError('email_not_verified');
    if (loginRefused(result.events)) throw new DomainError('invalid_credentials');
    return { account: result.state as Account, ...(session ? { sessionId: session.sessionId } : {}) };
  }

  /** A DRF token the login creates if the user has none (the decider says whether). */
  function newDrfToken() {
    const tokenId = newTokenId();
    return { tokenId, keyHash: hashTokenKey(tokenKey(deps.secretKey, tokenId)) };
  }

  function newSession(now: Date, metadata: EventMetadata) {
    const { ip, userAgent } = metadata as { ip?: string; userAgent?: string };
    return {
      sessionId: newJti(),
      refreshJti: newJti(),
      expires: new Date(now.getTime() + refreshLifetimeMs),
      accessExpires: accessExpiry(now),
      ...(typeof ip === 'string' ? { ip } : {}),
      ...(typeof userAgent === 'string' ? { userAgent } : {}),
    };
  }

  /** A refresh and an access token for a session a login just started. */
  async function tokenPair(account: Account, sid: string): Promise<{ refresh: string; access: string }> {
    const session = account.security.sessions.get(sid);
    if (!session) throw new Error(`no session ${sid}`);
    const claims = { session: { sid, epoch: account.security.sessionEpoch } };
    return {
      refresh: await jwt.issue('refresh', account.id, { ...claims, jti: session.refreshJti }),
      access: await jwt.issue('access', account.id, {
        ...claims,
        ...(session.accessExpires ? { exp: Date.parse(session.accessExpires) / 1000 } : {}),
      }),
    };
  }

  /** A refresh token's claims, checked; simplejwt's message when it is not valid. */
  async function refreshClaims(token: string): Promise<JwtClaims & { user_id: string }> {
    const checked = await jwt.verify(token, 'refresh');
    if ('error' in checked) throw new DomainError('token_not_valid', { message: checked.error });
    if (checked.claims.user_id === undefined)
      throw new DomainError('token_not_valid', { message: 'Token contained no recognizable user identification' });
    return checked.claims as JwtClaims & { user_id: string };
  }

  return {
    /** Logs in however a surface asks; dj-rest-auth's login and djoser's share it. */
    logIn,

    /** POST token/login/: the user's one token (created if missing); djoser's login_user stamps last_login. */
    async tokenLogin(login: string, password: string, metadata?: EventMetadata): Promise<string> {
      const { account } = await logIn(login, password, { method: 'token', drfToken: true, recordLastLogin: true }, metadata);
      const key = account.token && keyOfToken(deps.secretKey, account.token);
      if (!key) throw new Error('token login decided no usable token');
      return key;
    },

    async tokenLogout(userId: string, metadata?: EventMetadata): Promise<void> {
      await accounts.execute(userId, { type: 'LogOut', now: deps.now() }, metadata);
    },

    /** POST jwt/create/: a refresh and an access token of a new session; last_login only with UPDATE_LAST_LOGIN. */
    async jwtCreate(login: string, password: string, metadata?: EventMetadata, method: LoginMethod = 'jwt') {
      const { account, sessionId } = await logIn(
        login,
        password,
        { method, session: true, recordLastLogin: config.UPDATE_LAST_LOGIN },
        metadata,
      );
      return tokenPair(account, sessionId!);
    },

    /** The tokens of a session a login started (for surfaces that log in with other fields, e.g. dj-rest-auth). */
    tokenPair,

    /** The key of the DRF token a login (drfToken) made or kept, as token/login/ hands it out. */
    drfTokenKey(account: Account): string {
      const key = account.token && keyOfToken(deps.secretKey, account.token);
      if (!key) throw new Error('the login decided no usable token');
      return key;
    },

    /**
     * POST jwt/refresh/: a new access token (and with ROTATE_REFRESH_TOKENS a new refresh token). Checked against the
     * event store: a revoked session, an older epoch (every token issued before a reset …) or a deactivated account
     * gets none; with BLACKLIST_AFTER_ROTATION a rotated-out refresh token used again revokes its whole session.
     */
    async jwtRefresh(refresh: string, metadata?: EventMetadata): Promise<{ access: string; refresh?: string }> {
      const claims = await refreshClaims(refresh);
      const state = await accounts.load(claims.user_id);
      if (!isAccount(state) || state.status !== 'active') throw new DomainError('no_active_account');
      const epoch = claims.epoch ?? 0;
      if (claims.sid === undefined) {
        // A token from before sessions: simplejwt's rules, plus the epoch (a reset since ends it too).
        if (epoch !== state.security.sessionEpoch) throw new DomainError('token_not_valid', { message: 'Token is blacklisted' });
        return { access: await jwt.issue('access', state.id, { iat: claims.iat }) };
      }
      const rotate = config.ROTATE_REFRESH_TOKENS;
      const now = deps.now();
      const rotateTo = rotate ? { refreshJti: newJti(), expires: new Date(now.getTime() + refreshLifetimeMs) } : undefined;
      const accessExpires = accessExpiry(now);
      const command = {
        type: 'RefreshSession',
        sessionId: claims.sid,
        jti: claims.jti,
        epoch,
        ...(rotateTo ? { rotateTo } : {}),
        detectReuse: rotate && config.BLACKLIST_AFTER_ROTATION,
        accessExpires,
        now,
      } as const;
      const result = await accounts.execute(state.id, command, metadata);
      if (refreshRefused(result.events)) throw new DomainError('token_not_valid', { message: 'Token is blacklisted' });
      const session = { sid: claims.sid, epoch };
      const access = await jwt.issue('access', state.id, { iat: claims.iat, session, exp: accessExpires.getTime() / 1000 });
      if (!rotateTo) return { access };
      return { access, refresh: await jwt.issue('refresh', state.id, { session, jti: rotateTo.refreshJti }) };
    },

    /** POST jwt/verify/: the signature, expiry and type, and that the token's session still stands. */
    async jwtVerify(token: string): Promise<void> {
      const checked = await jwt.verify(token);
      if ('error' in checked) throw new DomainError('token_not_valid', { message: checked.error });
      const { user_id: userId, sid, epoch } = checked.claims;
      if (userId === undefined) return;
      const state = await accounts.load(userId);
      if (!sessionStands(state, sid, epoch ?? 0, deps.now())) throw new DomainError('token_not_valid', { message: 'Token is blacklisted' });
    },

    /** POST jwt/blacklist/ (simplejwt's TokenBlacklistView): the refresh token's session ends. */
    async jwtBlacklist(refresh: string, metadata?: EventMetadata): Promise<void> {
      const claims = await refreshClaims(refresh);
      if (claims.sid === undefined) throw new DomainError('token_not_valid', { message: 'Token is blacklisted' });
      await accounts.execute(
        claims.user_id,
        { type: 'RevokeSession', sessionId: claims.sid, reason: 'blacklist', now: deps.now() },
        metadata,
      );
    },

    /** The user's DRF token and live JWT sessions. */
    async sessions(userId: string): Promise<SessionView[]> {
      const state = await accounts.load(userId);
      if (!isAccount(state)) throw new DomainError('not_found');
      const now = deps.now().getTime();
      const token: SessionView[] = state.token
        ? [{ id: DRF_TOKEN_SESSION, kind: 'token', created: state.token.created, lastUsed: null, expires: null, ip: null, userAgent: null }]
        : [];
      const live = [...state.security.sessions].filter(([, s]) => isLiveSession(s, now));
      return [
        ...token,
        ...live.map(([id, s]) => ({
          id,
          kind: 'jwt' as const,
          created: s.created,
          lastUsed: s.lastUsed,
          expires: s.expires,
          ip: s.ip ?? null,
          userAgent: s.userAgent ?? null,
        })),
      ];
    },

    /** Ends one session: the DRF token (`token`) or a JWT session by id. */
    async revokeSession(userId: string, sessionId: string, metadata?: EventMetadata): Promise<void> {
      if (sessionId === DRF_TOKEN_SESSION) {
        const state = await accounts.load(userId);
        if (!isAccount(state) || !state.token) throw new DomainError('not_found');
        await accounts.execute(userId, { type: 'LogOut', now: deps.now() }, metadata);
        return;
      }
      try {
        await accounts.execute(userId, { type: 'RevokeSession', sessionId, reason: 'user', now: deps.now() }, metadata);
      } catch (error) {
        // No such live session of this user: the same answer as for any id that is not theirs.
        if (error instanceof DomainError && error.code === 'token_not_valid') throw new DomainError('not_found');
        throw error;
      }
    },

    /** Ends every session: the DRF token and every JWT. */
    async revokeAllSessions(userId: string, metadata?: EventMetadata): Promise<void> {
      await accounts.execute(userId, { type: 'LogOut', now: deps.now() }, metadata);
      await accounts.execute(userId, { type: 'RevokeAllSessions', now: deps.now() }, metadata);
    },
  };
}

export type TokenUseCases = ReturnType<typeof tokenUseCases>;

/** Whether a JWT of this session and epoch is still good for the account (the same rule the read model serves). */
export function sessionStands(state: UserState, sid: string | undefined, epoch: number, now: Date): boolean {
  if (!isAccount(state) || epoch !== state.security.sessionEpoch) return false;
  if (sid === undefined) return true;
  const session = state.security.sessions.get(sid);
  return session !== undefined && isLiveSession(session, now.getTime());
}

/** The key of the account's token: derived from its id, or unsealed (an imported token); null if it cannot be. */
function keyOfToken(secretKey: string, token: AuthToken): string | null {
  if (token.tokenId !== undefined) return tokenKey(secretKey, token.tokenId);
  return token.sealedKey === undefined ? null : unseal(secretKey, token.sealedKey);
}

/** Whether the key this service would hand out for the token is the one whose hash authenticates. */
function usableToken(secretKey: string, token: AuthToken): boolean {
  const key = keyOfToken(secretKey, token);
  return key !== null && hashTokenKey(key) === token.keyHash;
}
