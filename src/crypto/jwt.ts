// JSON Web Tokens as simplejwt makes them: HS256 signed with the secret key, claims token_type, exp, iat, jti and
// user_id; access tokens live 5 minutes and refresh tokens a day by default.
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors } from 'jose';

export type TokenType = 'access' | 'refresh';

export interface JwtClaims {
  readonly token_type: TokenType;
  readonly user_id: string;
  readonly jti: string;
  readonly exp: number;
  readonly iat: number;
}

export interface JwtService {
  issue(type: TokenType, userId: string): Promise<string>;
  /** The claims of a valid token of either type, or null: bad signature, expired, malformed. */
  verify(token: string): Promise<JwtClaims | null>;
}

export function jwtService(secret: string, lifetimes: { access: number; refresh: number }, now: () => Date): JwtService {
  const key = new TextEncoder().encode(secret);
  return {
    async issue(type, userId) {
      const iat = Math.floor(now().getTime() / 1000);
      return new SignJWT({ token_type: type, user_id: userId, jti: randomUUID().replaceAll('-', '') })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(iat)
        .setExpirationTime(iat + lifetimes[type])
        .sign(key);
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          currentDate: now(),
          requiredClaims: ['exp', 'token_type', 'user_id', 'jti'],
        });
        if (typeof payload.user_id !== 'string' || (payload.token_type !== 'access' && payload.token_type !== 'refresh')) return null;
        return payload as unknown as JwtClaims;
      } catch (error) {
        if (error instanceof errors.JOSEError || error instanceof TypeError) return null;
        throw error;
      }
    },
  };
}
