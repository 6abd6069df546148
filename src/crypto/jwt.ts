// JSON Web Tokens as simplejwt makes them: HS256 signed with the secret key, claims token_type, exp, iat, jti and
// user_id (in that order); access tokens live 5 minutes and refresh tokens a day by default.
import { createSecretKey, randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';

export type TokenType = 'access' | 'refresh';

export interface JwtClaims {
  readonly token_type: TokenType;
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  /** Absent only in tokens someone else signed with our key; callers check it where they need it. */
  readonly user_id?: string;
}

/** The claims of a valid token, or simplejwt's message for why it is not. */
export type JwtCheck = { readonly claims: JwtClaims } | { readonly error: string };

export interface JwtService {
  /** A new token; an access token made from a refresh token keeps the refresh token's iat, as simplejwt's does. */
  issue(type: TokenType, userId: string, from?: { iat: number }): Promise<string>;
  /** Checks signature and expiry, then (as simplejwt's Token.verify) exp, jti and, when `type` is given, the type. */
  verify(token: string, type?: TokenType): Promise<JwtCheck>;
}

const INVALID = 'Token is invalid or expired';

export function jwtService(secret: string, lifetimes: { access: number; refresh: number }, now: () => Date): JwtService {
  // A KeyObject made once: given raw bytes, jose would import the key again on every sign and verify.
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return {
    async issue(type, userId, from) {
      const seconds = Math.floor(now().getTime() / 1000);
      const claims = {
        token_type: type,
        exp: seconds + lifetimes[type],
        iat: from?.iat ?? seconds,
        jti: randomUUID().replaceAll('-', ''),
        user_id: userId,
      };
      return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
    },
    async verify(token, type) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'], currentDate: now() }));
      } catch (error) {
        if (error instanceof errors.JOSEError || error instanceof TypeError) return { error: INVALID };
        throw error;
      }
      if (typeof payload.exp !== 'number') return { error: "Token has no 'exp' claim" };
      if (typeof payload.jti !== 'string') return { error: 'Token has no id' };
      if (payload.token_type === undefined) return { error: 'Token has no type' };
      if (payload.token_type !== 'access' && payload.token_type !== 'refresh') return { error: 'Token has wrong type' };
      if (type && payload.token_type !== type) return { error: 'Token has wrong type' };
      if (payload.user_id !== undefined && typeof payload.user_id !== 'string') return { error: INVALID };
      return { claims: payload as unknown as JwtClaims };
    },
  };
}
