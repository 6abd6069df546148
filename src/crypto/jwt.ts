// JSON Web Tokens as simplejwt makes them: HS256 signed with the secret key, claims token_type, exp, iat, jti and
// user_id (in that order); access tokens live 5 minutes and refresh tokens a day by default. With asymmetric keys
// (ALGORITHM RS*/PS*/ES*/EdDSA, see jwt-keys.ts) tokens name their key in the header's `kid`.
//
// Verified access tokens are remembered until their exp (a bounded cache keyed by the token itself), so a client
// sending the same token on every request costs one signature check per token, not per request. Nothing else is
// skipped: expiry and simplejwt's claim checks run on every call, and callers check revocation themselves.
import { createHmac, randomUUID, webcrypto, type KeyObject } from 'node:crypto';
import { SignJWT, jwtVerify, errors, type JWK, type JWTHeaderParameters } from 'jose';
import { apiId } from '../user-model.js';
import type { HmacAlgorithm, JwtKeySet } from './jwt-keys.js';

export type TokenType = 'access' | 'refresh';

export interface JwtClaims {
  readonly token_type: TokenType;
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  /** Absent only in tokens someone else signed with our key; callers check it where they need it. */
  readonly user_id?: string;
  /** authstream's own: the session (refresh-token family) the token belongs to, and the account's session epoch. */
  readonly sid?: string;
  readonly epoch?: number;
}

/** What a new token carries beyond simplejwt's claims. */
export interface IssueOptions {
  /** An access token made from a refresh token keeps the refresh token's iat, as simplejwt's does. */
  readonly iat?: number;
  /** Default: a fresh one. */
  readonly jti?: string;
  readonly session?: { readonly sid: string; readonly epoch: number };
  /** The exp (Unix seconds) the command recorded for it; default: now plus the type's lifetime. */
  readonly exp?: number;
}

/** The claims of a valid token, or simplejwt's message for why it is not. */
export type JwtCheck = { readonly claims: JwtClaims } | { readonly error: string };

export interface JwtService {
  /** A new token. */
  issue(type: TokenType, userId: string, options?: IssueOptions): Promise<string>;
  /** Checks signature and expiry, then (as simplejwt's Token.verify) exp, jti and, when `type` is given, the type. */
  verify(token: string, type?: TokenType): Promise<JwtCheck>;
  /** The public keys as a JWK Set (/.well-known/jwks.json); null with HMAC, which has none to publish. */
  jwks?(): { readonly keys: readonly JWK[] } | null;
  /** The verified-token cache: hits (signature checks skipped), misses, entries held. */
  cacheStats?(): { readonly hits: number; readonly misses: number; readonly size: number };
}

export interface JwtOptions {
  /** Asymmetric keys; without them tokens are HMAC-signed with the secret. */
  readonly keys?: JwtKeySet | null;
  /** The HMAC algorithm without keys: HS256 (simplejwt's default), HS384 or HS512. */
  readonly hmacAlgorithm?: HmacAlgorithm;
  /** Verified access tokens remembered until their exp; 0 turns the cache off. Default 10 000. */
  readonly cacheSize?: number;
}

const INVALID = 'Token is invalid or expired';

/** A token id as simplejwt makes them: 32 hex digits. */
export const newJti = (): string => randomUUID().replaceAll('-', '');
const DEFAULT_CACHE_SIZE = 10_000;

/**
 * HMAC-signed tokens, made as jose makes them (header and claims as JSON, base64url, the signature over both) with
 * node:crypto's HMAC: jose signs through WebCrypto, which on Node 20 is a job on the libuv thread pool per token,
 * costlier than the HMAC itself and queued behind the password hashes on that pool.
 */
function hmacSigner(secret: Buffer, header: JWTHeaderParameters): (claims: Record<string, unknown>) => string {
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url');
  const hash = `sha${header.alg.slice(2)}`;
  return (claims) => {
    const input = `${encodedHeader}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
  };
}

export function jwtService(
  secret: string,
  lifetimes: { access: number; refresh: number },
  now: () => Date,
  options: JwtOptions = {},
): JwtService {
  const keys = options.keys ?? null;
  const hmacAlg = options.hmacAlgorithm ?? 'HS256';
  // A CryptoKey imported once: given raw bytes or a secret KeyObject, jose imports the key again on every sign and
  // verify (a WebCrypto import costs more than the HMAC itself).
  const hmacSecret = Buffer.from(secret, 'utf8');
  const hmacKey = keys
    ? null
    : webcrypto.subtle.importKey('raw', hmacSecret, { name: 'HMAC', hash: `SHA-${hmacAlg.slice(2)}` }, false, ['sign', 'verify']);
  const header: JWTHeaderParameters = keys ? { alg: keys.signing.alg, typ: 'JWT', kid: keys.signing.kid } : { alg: hmacAlg, typ: 'JWT' };
  const sign = keys
    ? (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader(header).sign(keys.signing.key)
    : hmacSigner(hmacSecret, header);
  const algorithms = keys ? [...new Set([...keys.verifying.values()].map((k) => k.alg))] : [hmacAlg];
  // The key a token's header names; only ours, and only for the algorithm it was made for (no algorithm confusion).
  const keyFor = (protectedHeader: JWTHeaderParameters): KeyObject | Promise<webcrypto.CryptoKey> => {
    if (!keys) return hmacKey!;
    const found = protectedHeader.kid === undefined ? undefined : keys.verifying.get(protectedHeader.kid);
    if (!found || found.alg !== protectedHeader.alg) throw new errors.JWKSNoMatchingKey();
    return found.key;
  };
  const cache = verifiedCache(options.cacheSize ?? DEFAULT_CACHE_SIZE);
  const seconds = () => Math.floor(now().getTime() / 1000);

  /** The payload of a token whose signature and exp hold (from the cache when seen before), or null. */
  async function verified(token: string): Promise<Record<string, unknown> | null> {
    const at = seconds();
    const cached = cache.get(token, at);
    if (cached) return cached;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, keyFor, { algorithms, currentDate: now() }));
    } catch (error) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
      throw error;
    }
    // Only what later calls can check the same way: access tokens with a numeric exp and no nbf.
    const cacheable = payload.token_type === 'access' && typeof payload.exp === 'number' && payload.nbf === undefined;
    if (cacheable) cache.set(token, Object.freeze(payload), at);
    return payload;
  }

  return {
    async issue(type, userId, options = {}) {
      const at = seconds();
      const claims = {
        token_type: type,
        exp: options.exp ?? at + lifetimes[type],
        iat: options.iat ?? at,
        jti: options.jti ?? newJti(),
        // simplejwt puts an integer pk as a number, anything else as a string.
        user_id: apiId(userId),
        ...(options.session ? { sid: options.session.sid, epoch: options.session.epoch } : {}),
      };
      return sign(claims);
    },
    async verify(token, type) {
      const payload = await verified(token);
      if (!payload) return { error: INVALID };
      if (typeof payload.exp !== 'number') return { error: "Token has no 'exp' claim" };
      if (typeof payload.jti !== 'string') return { error: 'Token has no id' };
      if (payload.token_type === undefined) return { error: 'Token has no type' };
      if (payload.token_type !== 'access' && payload.token_type !== 'refresh') return { error: 'Token has wrong type' };
      if (type && payload.token_type !== type) return { error: 'Token has wrong type' };
      const userId = payload.user_id;
      if (userId !== undefined && typeof userId !== 'string' && !Number.isSafeInteger(userId)) return { error: INVALID };
      if (
        (payload.sid !== undefined && typeof payload.sid !== 'string') ||
        (payload.epoch !== undefined && !Number.isSafeInteger(payload.epoch))
      ) {
        return { error: INVALID };
      }
      return { claims: { ...payload, ...(userId === undefined ? {} : { user_id: String(userId) }) } as unknown as JwtClaims };
    },
    jwks: () => keys?.jwks ?? null,
    cacheStats: () => cache.stats(),
  };
}

/**
 * Verified payloads by token, each until its exp (jose's rule: expired once exp <= now). Bounded: the oldest entry
 * goes first, and tokens of one lifetime expire in the order they were added, so expired entries leave from the
 * front as new ones come.
 */
function verifiedCache(max: number) {
  const entries = new Map<string, Record<string, unknown>>();
  let hits = 0;
  let misses = 0;
  const expired = (payload: Record<string, unknown>, at: number) => (payload.exp as number) <= at;
  return {
    get(token: string, at: number): Record<string, unknown> | null {
      const payload = entries.get(token);
      if (payload && !expired(payload, at)) {
        hits++;
        return payload;
      }
      if (payload) entries.delete(token);
      misses++;
      return null;
    },
    set(token: string, payload: Record<string, unknown>, at: number): void {
      if (max <= 0) return;
      for (const [oldest, old] of entries) {
        if (entries.size < max && !expired(old, at)) break;
        entries.delete(oldest);
      }
      entries.set(token, payload);
    },
    stats: () => ({ hits, misses, size: entries.size }),
  };
}
