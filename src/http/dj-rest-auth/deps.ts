// What the dj-rest-auth surface's routes are built from, and the shapes they share.
import type { Config } from '../../config.js';
import type { UseCases } from '../../commands/use-cases.js';
import type { Account } from '../../commands/account.state.js';
import type { UserDoc } from '../../readmodel/port.js';
import { apiId } from '../../user-model.js';
import type { Endpoint } from '../endpoint.js';
import { djRestAuthErrors } from './errors.js';
import type { SurfaceAuthentication } from './authenticate.js';
import { jwtCookies, type JwtCookies } from './cookies.js';
import { z } from 'zod';

export interface SurfaceDeps {
  readonly config: Config;
  readonly useCases: UseCases;
  /** The surface's authentication classes (absent where only the declarations are read: the OpenAPI document). */
  readonly authentication: SurfaceAuthentication;
  readonly cookies: JwtCookies;
}

export const surfaceDeps = (config: Config, useCases: UseCases, authentication: SurfaceAuthentication): SurfaceDeps => ({
  config,
  useCases,
  authentication,
  cookies: jwtCookies(config),
});

/** An endpoint of the surface: its error table and authentication classes. */
export const endpoint = (deps: SurfaceDeps, path: string, methods: Endpoint['methods'], extra: Partial<Endpoint> = {}): Endpoint => ({
  path,
  errors: djRestAuthErrors,
  authenticate: deps.authentication.authenticate,
  notAuthenticated: deps.authentication.notAuthenticated,
  methods,
  ...extra,
});

/** dj-rest-auth's UserDetailsSerializer: pk, username, email, first_name, last_name, in that order. */
export const present = (user: UserDoc | Account) => ({
  pk: apiId(user.id),
  username: user.username,
  email: user.email,
  first_name: user.firstName,
  last_name: user.lastName,
});

export const userBody = z.object({
  pk: z.union([z.number().int(), z.uuid()]),
  username: z.string(),
  email: z.string(),
  first_name: z.string(),
  last_name: z.string(),
});

export const detailBody = z.object({ detail: z.string() });

/** DRF's datetime format: ISO 8601 with microseconds and `Z`, `seconds` from now. */
export const expiration = (seconds: number, now = new Date()): string =>
  new Date(now.getTime() + seconds * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
