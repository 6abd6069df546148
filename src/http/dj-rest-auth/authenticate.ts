// The dj-rest-auth surface's authentication classes. Token mode: DRF's TokenAuthentication first (as the djoser
// surface's, `WWW-Authenticate: Token`). JWT mode (REST_AUTH_USE_JWT): dj-rest-auth's JWTCookieAuthentication, on
// this surface only — simplejwt's header (another scheme is not this authenticator: anonymous), else the access
// cookie REST_AUTH_JWT_AUTH_COOKIE, with CSRF: checked before the token when JWT_AUTH_COOKIE_USE_CSRF and the
// cookie is there, or on every request without an Authorization header with
// JWT_AUTH_COOKIE_ENFORCE_CSRF_ON_UNAUTHENTICATED, and (authstream's own rule) always on an unsafe request that the
// cookie authenticates. 401s say `WWW-Authenticate: Bearer realm="api"`.
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, RequestHandler } from 'express';
import cookieParser from 'cookie-parser';
import type { Config } from '../../config.js';
import type { ReadModel } from '../../readmodel/port.js';
import type { JwtService } from '../../crypto/jwt.js';
import { authenticator, jwtPrincipal, notAuthenticated, type Authenticator, type Principal } from '../authenticate.js';
import { withUserInLog } from '../access-log.js';
import { ApiError, detail } from '../errors.js';
import { enforceCsrf } from './csrf.js';

export const BEARER_REALM = { 'WWW-Authenticate': 'Bearer realm="api"' };

/** The requests of this surface by their headers: the pipeline hands authenticators only the headers. */
const requests = new WeakMap<IncomingHttpHeaders, Request>();

const parseCookies = cookieParser();

/** Middleware before the surface's router: parses cookies and remembers the request for the authenticator. */
export const rememberRequest: RequestHandler = (req, res, next) =>
  parseCookies(req, res, (error?: unknown) => {
    if (error) return next(error);
    requests.set(req.headers, req);
    next();
  });

/** The cookies of the request these headers belong to. */
export function cookiesOf(headers: IncomingHttpHeaders): Readonly<Record<string, string>> {
  const cookies = (requests.get(headers) as { cookies?: Record<string, unknown> } | undefined)?.cookies ?? {};
  return Object.fromEntries(Object.entries(cookies).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** A 401 of simplejwt's, with this surface's WWW-Authenticate. */
const asBearer = (error: unknown): never => {
  if (error instanceof ApiError && error.status === 401) throw new ApiError(401, error.body, BEARER_REALM);
  throw error;
};

export interface SurfaceAuthentication {
  readonly authenticate: Authenticator;
  readonly notAuthenticated: () => ApiError;
}

export function djRestAuthAuthentication(config: Config, deps: { readModel: ReadModel; jwt: JwtService }): SurfaceAuthentication {
  if (!config.REST_AUTH_USE_JWT) {
    return {
      authenticate: withUserInLog(authenticator({ readModel: deps.readModel, jwt: deps.jwt, headerTypes: config.AUTH_HEADER_TYPES })),
      notAuthenticated,
    };
  }
  const jwtTypes = new Set(config.AUTH_HEADER_TYPES);
  const cookieName = config.REST_AUTH_JWT_AUTH_COOKIE;
  const authenticate: Authenticator = async (headers): Promise<Principal | null> => {
    const header = headers.authorization;
    if (header) {
      const parts = header.split(/[ \t\n\r\v\f]+/).filter(Boolean);
      if (parts[0] === undefined || !jwtTypes.has(parts[0])) return null;
      if (parts.length !== 2) {
        throw new ApiError(
          401,
          { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' },
          BEARER_REALM,
        );
      }
      return jwtPrincipal(deps, parts[1]!).catch(asBearer);
    }
    if (!cookieName) return null;
    const req = requests.get(headers);
    if (!req) throw new Error('the dj-rest-auth surface authenticated a request it did not see (rememberRequest missing)');
    const cookies = cookiesOf(headers);
    const token = cookies[cookieName];
    let checked = false;
    if (
      config.REST_AUTH_JWT_AUTH_COOKIE_ENFORCE_CSRF_ON_UNAUTHENTICATED ||
      (token !== undefined && config.REST_AUTH_JWT_AUTH_COOKIE_USE_CSRF)
    ) {
      enforceCsrf(req, cookies);
      checked = true;
    }
    if (token === undefined) return null;
    const principal = await jwtPrincipal(deps, token).catch(asBearer);
    // A cookie is sent by the browser on its own: whatever the settings, it authorises no unsafe request without CSRF.
    if (!checked && !SAFE.has(req.method)) enforceCsrf(req, cookies);
    return principal;
  };
  return {
    authenticate: withUserInLog(authenticate),
    notAuthenticated: () => detail(401, 'Authentication credentials were not provided.', BEARER_REALM),
  };
}
