// What browsers need to be told (issue #10.10): CORS for the origins CORS_ALLOWED_ORIGINS names (django-cors-headers'
// settings), security headers suited to a JSON API (helmet), and no caching of anything under /auth/, since any of
// its answers can carry a token or personal data. Also the JWKS document of the signing keys.
import cors, { type CorsOptions } from 'cors';
import helmet from 'helmet';
import type { RequestHandler } from 'express';
import type { Config } from '../config.js';
import type { JwtService } from '../crypto/jwt.js';
import { requestPath } from './request-path.js';

/** django-cors-headers' CORS_ALLOW_METHODS and CORS_ALLOW_HEADERS defaults, and the request id this service reads. */
const METHODS = ['DELETE', 'GET', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
const HEADERS = ['accept', 'authorization', 'content-type', 'user-agent', 'x-csrftoken', 'x-requested-with', 'x-request-id'];
/** Beyond the CORS-safelisted response headers: what a busy (503) or read-your-writes answer tells the client. */
const EXPOSED = ['Retry-After', 'X-Request-Id'];

const isPreflight = (req: Parameters<RequestHandler>[0]) =>
  req.method === 'OPTIONS' && req.headers.origin !== undefined && req.headers['access-control-request-method'] !== undefined;

/**
 * CORS for /auth/, or null when no origin is allowed (the default: no CORS headers, and an OPTIONS preflight is
 * answered by DRF's pipeline like any OPTIONS). A preflight (OPTIONS with Origin and Access-Control-Request-Method)
 * is answered here, before authentication: 204 with the CORS headers for an allowed origin, a bare 204 (which the
 * browser refuses) for any other, as django-cors-headers answers every preflight itself. A plain OPTIONS still gets
 * DRF's answer; other requests from an allowed origin get Access-Control-Allow-Origin (and -Credentials).
 */
export function browserClients(
  config: Pick<Config, 'CORS_ALLOWED_ORIGINS' | 'CORS_ALLOWED_ORIGIN_REGEXES' | 'CORS_ALLOW_CREDENTIALS' | 'CORS_PREFLIGHT_MAX_AGE'>,
): RequestHandler | null {
  const origins = new Set(config.CORS_ALLOWED_ORIGINS);
  const patterns = config.CORS_ALLOWED_ORIGIN_REGEXES.map((r) => new RegExp(r));
  if (origins.size === 0 && patterns.length === 0) return null;
  const allowed = (origin: string | undefined) => origin !== undefined && (origins.has(origin) || patterns.some((p) => p.test(origin)));
  const options: CorsOptions = {
    // Echoes the allowed origin (never `*`), so credentials can be allowed too.
    origin: (origin, callback) => callback(null, allowed(origin)),
    credentials: config.CORS_ALLOW_CREDENTIALS,
    methods: METHODS,
    allowedHeaders: HEADERS,
    exposedHeaders: EXPOSED,
    maxAge: config.CORS_PREFLIGHT_MAX_AGE,
    optionsSuccessStatus: 204,
  };
  const preflight = cors(options);
  const actual = cors({ ...options, preflightContinue: true });
  return (req, res, next) => {
    // The answer depends on Origin whether or not it is allowed.
    res.vary('Origin');
    if (!isPreflight(req)) return actual(req, res, next);
    // cors calls on only for an origin that is not allowed: answer it without CORS headers.
    preflight(req, res, () => void res.status(204).end());
  };
}

// The API answers JSON only: nothing in it may load, run or be framed. The docs page (Swagger UI under
// /auth/docs/, its scripts and styles served from this origin, no inline script) gets what it needs and no more.
const API_CSP = { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"], 'base-uri': ["'none'"], 'form-action': ["'none'"] };
const DOCS_CSP = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  // Swagger UI sets style attributes from script.
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
};

/**
 * The headers a helmet middleware sets, asked once: they depend on its options only (none of these reads the request),
 * and setting a fixed list is cheaper than running a dozen middlewares on every request.
 */
function headersOf(middleware: ReturnType<typeof helmet>): readonly (readonly [string, string])[] {
  const headers = new Map<string, string>();
  const res = {
    setHeader: (name: string, value: string) => void headers.set(name, String(value)),
    removeHeader: (name: string) => void headers.delete(name),
  };
  let done = false;
  middleware({} as never, res as never, () => void (done = true));
  if (!done) throw new Error('helmet did not set its headers synchronously');
  return [...headers];
}

/** helmet's headers for an API (nosniff, HSTS, no-referrer, frame denial, …) with the CSP of the path's kind. */
export function securityHeaders(docsPrefix = '/auth/docs/'): RequestHandler {
  const common = { frameguard: { action: 'deny' as const } };
  const api = headersOf(helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: API_CSP } }));
  const docs = headersOf(helmet({ ...common, contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP } }));
  return (req, res, next) => {
    for (const [name, value] of requestPath(req).startsWith(docsPrefix) ? docs : api) res.setHeader(name, value);
    next();
  };
}

/**
 * Cache-Control: no-store (and HTTP/1.0's Pragma: no-cache) on every answer under /auth/: token/login/,
 * jwt/create/ and jwt/refresh/ carry tokens, users/me/ carries personal data, and an error can echo input. Marking
 * every answer is simpler than knowing which ones carry what, and costs nothing (no answer here is worth caching).
 * The docs page's static files (under docs/) carry nothing of anyone's and keep their own caching.
 */
export const noStore: RequestHandler = (req, res, next) => {
  if (!requestPath(req).startsWith('/docs/')) {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
  }
  next();
};

/** GET /.well-known/jwks.json: the public verifying keys; 404 with HMAC signing, which has none to publish. */
export function jwksDocument(jwt: JwtService): RequestHandler {
  return (_req, res) => {
    const jwks = jwt.jwks?.() ?? null;
    if (!jwks) return void res.status(404).json({ detail: 'Not found.' });
    // Verifiers refetch on an unknown kid, so a few minutes of caching never hides a new key for long.
    res.set('Cache-Control', 'public, max-age=300').json(jwks);
  };
}
