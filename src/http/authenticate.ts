// Authentication as DRF runs it: on every request to a view with authentication classes, before anything else.
// `Token <key>` (DRF's TokenAuthentication) and `Bearer <jwt>` / `JWT <jwt>` (simplejwt's JWTAuthentication); any
// other scheme is anonymous.
import { isUtf8 } from 'node:buffer';
import type { IncomingHttpHeaders } from 'node:http';
import { sessionRevoked, type ReadModel, type UserDoc } from '../readmodel/port.js';
import type { JwtService } from '../crypto/jwt.js';
import { hashTokenKey } from '../crypto/auth-tokens.js';
import { ApiError, detail } from './errors.js';

/** DRF answers 401 (not 403) because its first authentication class can name a scheme. */
export const WWW_AUTHENTICATE = { 'WWW-Authenticate': 'Token' };

const failed = (message: string) => detail(401, message, WWW_AUTHENTICATE);
const jwtFailed = (message: string, code: string, extra: Record<string, unknown> = {}) =>
  new ApiError(401, { detail: message, code, ...extra }, WWW_AUTHENTICATE);

const invalidJwt = (message: string) =>
  jwtFailed('Given token not valid for any token type', 'token_not_valid', {
    messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
  });

export interface Principal {
  readonly user: UserDoc;
  /** The auth token's hash when authenticated by `Token`. */
  readonly tokenHash: string | null;
  /** The JWT session (`sid`) when authenticated by an access token that names one. */
  readonly sessionId: string | null;
}

export type Authenticator = (headers: IncomingHttpHeaders) => Promise<Principal | null>;

/** The principal of a request, null when anonymous; a bad credential is a 401 (ApiError). */
export function authenticator(deps: { readModel: ReadModel; jwt: JwtService; headerTypes: readonly string[] }): Authenticator {
  // simplejwt compares its header types case-sensitively; DRF's "Token" keyword is case-insensitive.
  const jwtTypes = new Set(deps.headerTypes);
  return async (headers) => {
    const header = headers.authorization;
    if (!header) return null;
    // Python's bytes.split(): ASCII whitespace only (Node hands header bytes over as latin1, so 0xA0 is not a space).
    const parts = header.split(/[ \t\n\r\v\f]+/).filter(Boolean);
    const scheme = parts[0];
    if (scheme?.toLowerCase() === 'token') {
      if (parts.length === 1) throw failed('Invalid token header. No credentials provided.');
      if (parts.length > 2) throw failed('Invalid token header. Token string should not contain spaces.');
      if (!isUtf8(Buffer.from(parts[1]!, 'latin1')))
        throw failed('Invalid token header. Token string should not contain invalid characters.');
      const tokenHash = hashTokenKey(parts[1]!);
      const token = await deps.readModel.findToken(tokenHash);
      const user = token ? await deps.readModel.findUserById(token.userId) : null;
      if (!token) throw failed('Invalid token.');
      if (!user?.isActive) throw failed('User inactive or deleted.');
      return { user, tokenHash, sessionId: null };
    }
    if (scheme !== undefined && jwtTypes.has(scheme)) {
      if (parts.length !== 2) throw jwtFailed('Authorization header must contain two space-delimited values', 'bad_authorization_header');
      return jwtPrincipal(deps, parts[1]!);
    }
    return null;
  };
}

/** The principal of an access token (simplejwt's get_validated_token, then get_user); a 401 (ApiError) for a bad one. */
export async function jwtPrincipal(deps: { readModel: ReadModel; jwt: JwtService }, token: string): Promise<Principal> {
  const checked = await deps.jwt.verify(token, 'access');
  if ('error' in checked) throw invalidJwt(checked.error);
  const userId = checked.claims.user_id;
  if (userId === undefined) throw jwtFailed('Token contained no recognizable user identification', 'token_not_valid');
  const user = await deps.readModel.findUserById(userId);
  if (!user) throw jwtFailed('User not found', 'user_not_found');
  if (!user.isActive) throw jwtFailed('User is inactive', 'user_inactive');
  // Revocation, on every request: its session ended, or every token before a reset, a logout-all … was ended.
  if (sessionRevoked(user, checked.claims.sid, checked.claims.epoch ?? 0)) throw invalidJwt('Token is blacklisted');
  return { user, tokenHash: null, sessionId: checked.claims.sid ?? null };
}

/** DRF's NotAuthenticated. */
export const notAuthenticated = () => failed('Authentication credentials were not provided.');
