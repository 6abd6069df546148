// The express app: djoser's URLs under /auth/, with DRF's parsing, authentication and error conventions.
import express, { type RequestHandler } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { AccountService } from '../commands/accounts.js';
import type { ReadModel } from '../readmodel/port.js';
import type { JwtService } from '../crypto/jwt.js';
import { authenticate, requirePrincipal } from './authenticate.js';
import { errorHandler } from './errors.js';
import { usersRouter } from './routes/users.js';
import { tokenRouter } from './routes/token.js';
import { jwtRouter } from './routes/jwt.js';

export interface AppDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly accounts: AccountService;
  readonly readModel: ReadModel;
  readonly jwt: JwtService;
  /** Answers GET /health (e.g. whether projections have caught up). */
  readonly health?: () => Record<string, unknown>;
}

const BODY_LIMIT = '100kb';

/**
 * How DRF's pipeline treats a path: which methods its view answers, and whether a method needs an authenticated
 * user before anything else happens (DRF checks permissions before it dispatches, so an anonymous call with a method
 * a users/ route does not support is a 401, not a 405: the ViewSet's default permission applies to it).
 */
interface RouteInfo {
  readonly methods: readonly string[];
  /** simplejwt's views have no authentication classes: they never look at Authorization. */
  readonly authenticates: boolean;
  readonly needsUser: (method: string) => boolean;
}

const allowAny = (supported: readonly string[]): RouteInfo => ({
  methods: supported,
  authenticates: true,
  // A supported method is AllowAny; any other (OPTIONS included) falls back to the ViewSet's CurrentUserOrAdmin.
  needsUser: (method) => !supported.includes(method),
});
const authenticated = (supported: readonly string[]): RouteInfo => ({
  methods: supported,
  authenticates: true,
  needsUser: () => true,
});

/** Each known path, as djoser's URLconf spells it (token/ and jwt/ take the trailing slash as optional). */
const ROUTES: Record<string, RouteInfo> = {
  '/users/': allowAny(['POST']),
  '/users/me/': authenticated(['GET', 'PUT', 'PATCH', 'DELETE']),
  '/users/activation/': allowAny(['POST']),
  '/users/resend_activation/': allowAny(['POST']),
  '/users/set_password/': authenticated(['POST']),
  '/users/reset_password/': allowAny(['POST']),
  '/users/reset_password_confirm/': allowAny(['POST']),
  '/users/set_username/': authenticated(['POST']),
  '/users/reset_username/': allowAny(['POST']),
  '/users/reset_username_confirm/': allowAny(['POST']),
  '/token/login': { methods: ['POST'], authenticates: true, needsUser: () => false },
  '/token/logout': authenticated(['POST']),
  '/jwt/create': { methods: ['POST'], authenticates: false, needsUser: () => false },
  '/jwt/refresh': { methods: ['POST'], authenticates: false, needsUser: () => false },
  '/jwt/verify': { methods: ['POST'], authenticates: false, needsUser: () => false },
};

/** The router's users/<pk>/ detail route: we expose no other user, so an authenticated caller gets 404. */
const USER_DETAIL = /^\/users\/[^/.]+\/$/;
const USER_DETAIL_ROUTE = authenticated([]);

function routeOf(path: string): RouteInfo | null {
  const known = ROUTES[path] ?? (/^\/(token|jwt)\//.test(path) && path.endsWith('/') ? ROUTES[path.slice(0, -1)] : undefined);
  if (known) return known;
  return USER_DETAIL.test(path) ? USER_DETAIL_ROUTE : null;
}

/** DRF parses JSON and form bodies; any other body is a 415. */
const onlyParsableBodies: RequestHandler = (req, res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is(['application/json', 'application/x-www-form-urlencoded'])) {
    return void res.status(415).json({ detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.` });
  }
  next();
};

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.set('etag', false);
  app.disable('x-powered-by');

  if (deps.health) app.get('/health', (_req, res) => void res.json(deps.health!()));

  const api = express.Router({ strict: true, caseSensitive: true });
  // DRF's order: resolve the URL (404), authenticate, check permissions (401), and only then parse the body.
  api.use((req, res, next) => {
    const route = routeOf(req.path);
    if (!route) return void res.status(404).json({ detail: 'Not found.' });
    res.locals.route = route;
    next();
  });
  const authenticator = authenticate({ readModel: deps.readModel, jwt: deps.jwt, headerTypes: deps.config.AUTH_HEADER_TYPES });
  api.use((req, res, next) => ((res.locals.route as RouteInfo).authenticates ? authenticator(req, res, next) : next()));
  api.use((req, res, next) => {
    if ((res.locals.route as RouteInfo).needsUser(req.method)) requirePrincipal(res);
    next();
  });
  api.use(onlyParsableBodies);
  api.use(express.json({ limit: BODY_LIMIT, strict: false, type: 'application/json' }));
  api.use(express.urlencoded({ limit: BODY_LIMIT, extended: false, type: 'application/x-www-form-urlencoded' }));
  api.use(jwtRouter(deps));
  api.use(usersRouter(deps));
  api.use(tokenRouter(deps));
  api.use((req, res) => {
    const route = res.locals.route as RouteInfo;
    if (route === USER_DETAIL_ROUTE) return void res.status(404).json({ detail: 'Not found.' });
    const allowed = [...route.methods, ...(route.methods.includes('GET') ? ['HEAD'] : []), 'OPTIONS'];
    res.set('Allow', allowed.join(', '));
    if (req.method === 'OPTIONS') return void res.status(200).json({});
    res.status(405).json({ detail: `Method "${req.method}" not allowed.` });
  });
  app.use('/auth', api);

  app.use((_req, res) => void res.status(404).json({ detail: 'Not found.' }));
  app.use(errorHandler(deps.log));
  return app;
}
