// The express app: the djoser surface under /auth/, with DRF's conventions, and the health endpoint.
import { randomUUID } from 'node:crypto';
import express, { type Request } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { UseCases } from '../commands/use-cases.js';
import type { ReadModel } from '../readmodel/port.js';
import type { JwtService } from '../crypto/jwt.js';
import { authenticator, type Principal } from './authenticate.js';
import { errorHandler } from './errors.js';
import { surfaceRouter } from './pipeline.js';
import { djoserEndpoints } from './djoser.js';
import { docsRouter } from './openapi/router.js';
import { browserClients, jwksDocument, noStore, securityHeaders } from './browser.js';

export interface AppDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly useCases: UseCases;
  readonly readModel: ReadModel;
  readonly jwt: JwtService;
  /** Answers GET /health (e.g. whether projections have caught up). */
  readonly health?: () => Record<string, unknown>;
}

const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** What events record about the request that caused them. */
function requestMetadata(req: Request, principal: Principal | null) {
  const sent = req.headers['x-request-id'];
  return {
    correlationId: typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID(),
    actor: principal ? `user:${principal.user.id}` : 'anonymous',
    ...(req.ip ? { ip: req.ip } : {}),
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'].slice(0, 256) } : {}),
  };
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.set('etag', false);
  app.disable('x-powered-by');
  app.use(securityHeaders());

  if (deps.health) app.get('/health', (_req, res) => void res.json(deps.health!()));

  // Browser clients: CORS (preflights answered here, before authentication), no caching of /auth/ answers.
  const corsHandler = browserClients(deps.config);
  if (corsHandler) app.use('/auth', corsHandler);
  app.use('/auth', noStore);
  app.get('/.well-known/jwks.json', jwksDocument(deps.jwt));

  const authenticate = authenticator({ readModel: deps.readModel, jwt: deps.jwt, headerTypes: deps.config.AUTH_HEADER_TYPES });
  const djoser = djoserEndpoints({ config: deps.config, useCases: deps.useCases });
  // The OpenAPI document of the surfaces, the AsyncAPI document and the docs page, before the surfaces' 404.
  app.use('/auth', docsRouter({ config: deps.config, surfaces: [{ prefix: '/auth', endpoints: djoser }] }));
  app.use('/auth', surfaceRouter(djoser, { authenticate, metadata: requestMetadata }));

  app.use((_req, res) => void res.status(404).json({ detail: 'Not found.' }));
  app.use(errorHandler(deps.log));
  return app;
}
