// Logins (every one, failed ones too), lockout, DRF auth tokens and JWT sessions (refresh-token families).
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

const method = z.enum(['token', 'jwt', 'cookie']);
const sessionId = z.string().min(1).max(64);
/**
 * The exp of the access token issued with the event (a login, a refresh), or, on a revocation, the latest exp of any
 * access token of the session: past it no access token of the session is alive. Absent from events written before
 * it was recorded (then the session's own expiry bounds its access tokens).
 */
const accessExpires = z.iso.datetime().optional();

export const tokenEvents = {
  /** djoser's login stamped last_login (token/login/ always; jwt/create with UPDATE_LAST_LOGIN). */
  UserLoggedIn: eventType({ userId, at }),
  /** Every successful login, however it was made; a JWT login names the session it starts. */
  LoginSucceeded: eventType({ userId, method, sessionId: sessionId.optional(), at }),
  /** A login refused for this account, and why (never the password). */
  LoginFailed: eventType({ userId, method, reason: z.enum(['password', 'inactive', 'locked', 'unverified']), at }),
  /** Too many failed logins in a row: logins are refused until `until`, whatever the password. */
  AccountLocked: eventType({ userId, until: z.iso.datetime(), failures: z.number().int().positive(), at }),
  /** Staff lifted a lock (a password reset lifts it too, as its own event shows). */
  AccountUnlocked: eventType({ userId, at }),
  /** A password given to confirm an action (set_password, set_username, deletion) was wrong. */
  CurrentPasswordRejected: eventType({ userId, action: z.enum(['set_password', 'set_username', 'delete', 'change_email']), at }),
  /** A JWT session (a refresh-token family) began: jwt/create or a cookie login. */
  SessionStarted: eventType(
    {
      userId,
      sessionId,
      /** The jti of the family's current refresh token. */
      refreshJti: z.string(),
      expires: z.iso.datetime(),
      accessExpires,
      ip: z.string().optional(),
      userAgent: z.string().optional(),
      at,
    },
    { secret: ['refreshJti'], personal: ['ip', 'userAgent'] },
  ),
  /** jwt/refresh: the session was used; with ROTATE_REFRESH_TOKENS its refresh token was replaced. */
  SessionRefreshed: eventType(
    { userId, sessionId, refreshJti: z.string(), expires: z.iso.datetime(), accessExpires, at },
    { secret: ['refreshJti'] },
  ),
  /** One session ended: its refresh and access tokens stop working (a reused rotated refresh token revokes its family). */
  SessionRevoked: eventType({
    userId,
    sessionId,
    /**
     * `password_set`: the password changed in another session (set_password keeps only the caller's); `limit`: the
     * account's oldest session, ended for a login past MAX_SESSIONS_PER_USER.
     */
    reason: z.enum(['logout', 'blacklist', 'reuse', 'user', 'password_set', 'limit']),
    /** When the session would have expired: until then its tokens must be refused. */
    expires: z.iso.datetime(),
    accessExpires,
    at,
  }),
  /** Every JWT issued before now stops working (a password change with logout, a reset, a deactivation, the user). */
  AllSessionsRevoked: eventType({
    userId,
    reason: z.enum(['password_set', 'password_reset', 'deactivated', 'user']),
    /** The account's new session epoch: tokens carrying an older one are refused. */
    epoch: z.number().int().positive(),
    at,
  }),
  AuthTokenCreated: eventType(
    {
      userId,
      /** Random id; the key handed out is HMAC(secret, tokenId), so it is never stored anywhere. */
      tokenId: z.string(),
      /** sha256 of the key, what authentication looks up. */
      keyHash: z.string(),
      at,
    },
    { secret: ['tokenId', 'keyHash'] },
  ),
  /** A DRF token brought across from Django: its key sealed with SECRET_KEY, so a login can hand it out again. */
  AuthTokenImported: eventType(
    { userId, keyHash: z.string(), sealedKey: z.string(), created: z.iso.datetime(), at },
    { secret: ['keyHash', 'sealedKey'] },
  ),
  AuthTokenDestroyed: eventType({ userId, at }),
};
