// The dj-rest-auth surface (dj-rest-auth 4.0.1 with django-allauth 0.51; docs/dj-rest-auth-reference.md): every
// endpoint, over the same accounts, events and read model as the djoser surface. Mounted at DJ_REST_AUTH_PREFIX
// (unset: not mounted); restSurfaces() in src/http/app.ts lists it.
//   login/ logout/                                    login.ts
//   user/                                             user.ts
//   password/change/ password/reset/ …/confirm/       password.ts
//   registration/ …/verify-email/ …/resend-email/     registration.ts
//   token/verify/ token/refresh/ (REST_AUTH_USE_JWT)  jwt.ts
// registration/account-confirm-email/<key>/ (the emailed link) is the frontend's page to serve: here it is a 404
// (dj-rest-auth's placeholder view answers 500).
import type { RequestHandler } from 'express';
import type { Config } from '../../config.js';
import type { UseCases } from '../../commands/use-cases.js';
import type { ReadModel } from '../../readmodel/port.js';
import type { JwtService } from '../../crypto/jwt.js';
import type { Endpoint } from '../endpoint.js';
import { browserClients, noStore } from '../browser.js';
import { djRestAuthAuthentication, rememberRequest, type SurfaceAuthentication } from './authenticate.js';
import { surfaceDeps } from './deps.js';
import { loginEndpoints } from './login.js';
import { userEndpoints } from './user.js';
import { passwordEndpoints } from './password.js';
import { registrationEndpoints } from './registration.js';
import { jwtEndpoints } from './jwt.js';

export interface DjRestAuthSurface {
  readonly prefix: string;
  readonly endpoints: readonly Endpoint[];
  /** Run before the surface's router, under its prefix. */
  readonly before: readonly RequestHandler[];
}

/** Where the declarations are only read (the OpenAPI document), nothing authenticates. */
const unavailable: SurfaceAuthentication = {
  authenticate: async () => {
    throw new Error('the dj-rest-auth surface was built without its read model and JWT service');
  },
  notAuthenticated: () => {
    throw new Error('the dj-rest-auth surface was built without its read model and JWT service');
  },
};

export function djRestAuthEndpoints(config: Config, useCases: UseCases, authentication: SurfaceAuthentication = unavailable): Endpoint[] {
  const deps = surfaceDeps(config, useCases, authentication);
  return [
    ...loginEndpoints(deps),
    ...userEndpoints(deps),
    ...passwordEndpoints(deps),
    ...registrationEndpoints(deps),
    ...jwtEndpoints(deps),
  ];
}

/** Django's APPEND_SLASH (CommonMiddleware): a declared path without its slash is a 301 to it, for every method. */
function appendSlash(endpoints: readonly Endpoint[]): RequestHandler {
  const paths = new Set(endpoints.map((e) => e.path));
  return (req, res, next) => {
    if (req.path.endsWith('/') || !paths.has(`${req.path}/`)) return next();
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    res
      .status(301)
      .set({ Location: `${req.baseUrl}${req.path}/${query}`, 'Content-Type': 'text/html; charset=utf-8' })
      .end();
  };
}

/** The surface, when DJ_REST_AUTH_PREFIX mounts it. */
export function djRestAuthSurface(deps: {
  config: Config;
  useCases: UseCases;
  readModel?: ReadModel | undefined;
  jwt?: JwtService | undefined;
}): DjRestAuthSurface | null {
  const prefix = deps.config.DJ_REST_AUTH_PREFIX;
  if (prefix === undefined) return null;
  const authentication =
    deps.readModel && deps.jwt ? djRestAuthAuthentication(deps.config, { readModel: deps.readModel, jwt: deps.jwt }) : unavailable;
  const endpoints = djRestAuthEndpoints(deps.config, deps.useCases, authentication);
  const cors = browserClients(deps.config);
  return { prefix, endpoints, before: [...(cors ? [cors] : []), noStore, rememberRequest, appendSlash(endpoints)] };
}
