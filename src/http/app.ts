// The express app: djoser's URLs under /auth/, with DRF's parsing, authentication and error conventions.
import express, { type RequestHandler } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { AccountService } from '../commands/accounts.js';
import type { ReadModel } from '../readmodel/port.js';
import type { JwtService } from '../crypto/jwt.js';
import { authenticate } from './authenticate.js';
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

/** Each known path and its methods, for DRF's 405 answer. */
const ROUTES: Record<string, string[]> = {
  '/auth/users/': ['POST'],
  '/auth/users/me/': ['GET', 'PUT', 'PATCH', 'DELETE'],
  '/auth/users/activation/': ['POST'],
  '/auth/users/resend_activation/': ['POST'],
  '/auth/users/set_password/': ['POST'],
  '/auth/users/reset_password/': ['POST'],
  '/auth/users/reset_password_confirm/': ['POST'],
  '/auth/users/set_username/': ['POST'],
  '/auth/users/reset_username/': ['POST'],
  '/auth/users/reset_username_confirm/': ['POST'],
  '/auth/token/login/': ['POST'],
  '/auth/token/logout/': ['POST'],
  '/auth/jwt/create/': ['POST'],
  '/auth/jwt/refresh/': ['POST'],
  '/auth/jwt/verify/': ['POST'],
};

/** DRF parses JSON and form bodies; any other body is a 415. */
const onlyParsableBodies: RequestHandler = (req, res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is(['application/json', '+json', 'application/x-www-form-urlencoded'])) {
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
  api.use(onlyParsableBodies);
  api.use(express.json({ limit: BODY_LIMIT, strict: false, type: ['application/json', '+json'] }));
  api.use(express.urlencoded({ limit: BODY_LIMIT, extended: false }));
  // simplejwt's views have no authentication classes: they never look at Authorization.
  api.use(jwtRouter(deps));
  api.use(authenticate({ readModel: deps.readModel, jwt: deps.jwt, headerTypes: deps.config.AUTH_HEADER_TYPES }));
  api.use(usersRouter(deps));
  api.use(tokenRouter(deps));
  app.use('/auth', api);

  app.use((req, res) => {
    const allowed = ROUTES[req.path];
    if (allowed) {
      res.set('Allow', [...allowed, 'OPTIONS'].join(', '));
      if (req.method === 'OPTIONS') return void res.status(200).json({});
      return void res.status(405).json({ detail: `Method "${req.method}" not allowed.` });
    }
    res.status(404).json({ detail: 'Not found.' });
  });
  app.use(errorHandler(deps.log));
  return app;
}
