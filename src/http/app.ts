// The express app: the djoser surface under /auth/, with DRF's conventions, the access log, health and metrics.
import express, { type Request, type RequestHandler } from 'express';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { UseCases } from '../commands/use-cases.js';
import type { ReadModel } from '../readmodel/port.js';
import type { JwtService } from '../crypto/jwt.js';
import { authenticator, type Principal } from './authenticate.js';
import { errorHandler } from './errors.js';
import { surfaceRouter } from './pipeline.js';
import { noThrottles, type Throttles } from '../throttle.js';
import { djoserEndpoints } from './djoser.js';
import { djRestAuthSurface } from './dj-rest-auth/surface.js';
import { userFields } from './routes/user-fields.js';
import { userModel } from '../user-model.js';
import { browserClients, jwksDocument, noStore, securityHeaders } from './browser.js';
import { docsRouter } from './openapi/router.js';
import type { Surface } from './openapi/document.js';
import type { Reply } from './endpoint.js';
import { accessLog, requestId, withUserInLog } from './access-log.js';
import { observabilityRouter } from '../observability/routes.js';
import { withSurfaceLanes } from './surface-lanes.js';
import type { Readiness } from '../observability/health.js';
import { requestPath } from './request-path.js';

export interface AppDeps {
  readonly config: Config;
  readonly log: Logger;
  readonly useCases: UseCases;
  readonly readModel: ReadModel;
  readonly jwt: JwtService;
  /** DRF's throttles (default: none, for tools and tests that build an app without them). */
  readonly throttles?: Throttles;
  /** Answers GET /health (e.g. whether projections have caught up). */
  readonly health?: () => Record<string, unknown>;
  /** Answers GET /health/ready: 200 when every readiness check passes, else 503 naming the failed ones. */
  readonly ready?: () => Promise<Readiness>;
  /** Asked before every request of the REST surfaces: a reply answers it instead (see PipelineDeps.gate). */
  readonly gate?: () => Reply | null;
}

/** What events record about the request that caused them. */
function requestMetadata(req: Request, principal: Principal | null) {
  return {
    // The client's sane X-Request-Id or a new one: the access log's id, echoed in the X-Request-Id header.
    correlationId: requestId(req),
    actor: principal ? `user:${principal.user.id}` : 'anonymous',
    ...(req.ip ? { ip: req.ip } : {}),
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'].slice(0, 256) } : {}),
  };
}

/** A REST surface as the app mounts it: middleware of its own may run first under its prefix. */
export interface RestSurface extends Surface {
  readonly before?: readonly RequestHandler[];
}

/**
 * The REST surfaces and where they are mounted: what the pipeline serves and the OpenAPI document describes. The
 * read model and JWT service are what surfaces with their own authentication (dj-rest-auth's cookies) need.
 */
export function restSurfaces(deps: Pick<AppDeps, 'config' | 'useCases'> & Partial<Pick<AppDeps, 'readModel' | 'jwt'>>): RestSurface[] {
  const model = userModel(deps.config);
  const djRestAuth = djRestAuthSurface(deps);
  return [
    { prefix: '/auth', endpoints: djoserEndpoints({ config: deps.config, useCases: deps.useCases, model, users: userFields(model) }) },
    ...(djRestAuth ? [djRestAuth] : []),
  ];
}

/** What the health and metrics router serves, and the documents and docs page under /auth/. */
const OBSERVABILITY_PATHS = /^\/(?:health|metrics)(?:\/|$)/;
const DOCS_PATHS = /^\/(?:schema\/|asyncapi\.json|docs)/;

/** A router that other paths skip without walking its routes (every request passes these on its way to /auth/). */
const onlyUnder =
  (paths: RegExp, router: RequestHandler): RequestHandler =>
  (req, res, next) =>
    paths.test(requestPath(req)) ? router(req, res, next) : next();

/**
 * Middlewares run one after the other as one layer of the app: express matches every layer's path against every
 * request, and cuts the prefix off for each layer that matches. (They call next() or answer; none uses
 * next('route').) `next(null)` is no error, as for express: cors calls it so for an origin it does not allow.
 */
function inSequence(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, done) => {
    let i = 0;
    const next = (error?: unknown) => {
      const handler = handlers[i++];
      if ((error !== undefined && error !== null) || !handler) return done(error ?? undefined);
      try {
        handler(req, res, next);
      } catch (thrown) {
        done(thrown);
      }
    };
    next();
  };
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.set('strict routing', true);
  app.set('case sensitive routing', true);
  app.set('etag', false);
  // DRF's NUM_PROXIES: the client's IP is the one that many hops back in X-Forwarded-For (none: the socket's).
  app.set('trust proxy', deps.config.NUM_PROXIES);
  app.disable('x-powered-by');
  const common = inSequence(
    securityHeaders(),
    accessLog(deps.log),
    onlyUnder(
      OBSERVABILITY_PATHS,
      observabilityRouter({ health: deps.health, ready: deps.ready, metricsToken: deps.config.METRICS_TOKEN }),
    ),
  );
  app.use(common);

  const jwksPath = '/.well-known/jwks.json';
  app.get(jwksPath, jwksDocument(deps.jwt));

  const authenticate = withUserInLog(
    authenticator({ readModel: deps.readModel, jwt: deps.jwt, headerTypes: deps.config.AUTH_HEADER_TYPES }),
  );
  const surfaces = restSurfaces(deps);
  // Under /auth/, before the djoser surface: CORS for browser clients (preflights answered here, before
  // authentication), no caching of its answers, and the OpenAPI and AsyncAPI documents and the docs page (before the
  // surface's 404s).
  const corsHandler = browserClients(deps.config);
  const underAuth = [...(corsHandler ? [corsHandler] : []), noStore, onlyUnder(DOCS_PATHS, docsRouter({ config: deps.config, surfaces }))];
  // One layer a surface: express matches each layer's path against each request and cuts the prefix off for the
  // layers that match, so what runs under a prefix runs in one of them.
  const lanes = surfaces.map(({ prefix, before, endpoints }) => ({
    prefix,
    handler: inSequence(
      ...(prefix === '/auth' ? underAuth : []),
      ...(before ?? []),
      surfaceRouter(endpoints, {
        authenticate,
        throttles: deps.throttles ?? noThrottles,
        metadata: requestMetadata,
        ...(deps.gate ? { gate: deps.gate } : {}),
      }),
    ),
  }));
  for (const { prefix, handler } of lanes) app.use(prefix, handler);

  const notFound: RequestHandler = (_req, res) => void res.status(404).json({ detail: 'Not found.' });
  const onError = errorHandler(deps.log);
  app.use(notFound);
  app.use(onError);
  // The same handlers, for requests under a surface's prefix without the app router (surface-lanes.ts).
  return withSurfaceLanes(app, { common, routedFirst: [jwksPath], lanes, notFound, onError });
}
