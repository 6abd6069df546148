// token/verify/ (simplejwt's TokenVerifyView) and token/refresh/ (dj-rest-auth's get_refresh_view), only with
// REST_AUTH_USE_JWT. No authentication classes: no header or access cookie is looked at, so no CSRF either.
import { DomainError } from '../../commands/decider.js';
import { ApiError } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import { charField } from '../fields.js';
import { BEARER_REALM, cookiesOf } from './authenticate.js';
import { withCookies } from './cookies.js';
import { endpoint, expiration, type SurfaceDeps } from './deps.js';
import { z } from 'zod';

export function jwtEndpoints(deps: SurfaceDeps): Endpoint[] {
  const { config, useCases, cookies } = deps;
  if (!config.REST_AUTH_USE_JWT) return [];
  const { tokens } = useCases;
  return [
    endpoint(
      deps,
      '/token/verify/',
      {
        POST: method({
          permission: 'allowAny',
          fields: { token: charField() },
          doc: { summary: 'Check a token (access or refresh)', responses: { 200: { description: 'Valid.', body: z.object({}) } } },
          async handle(req) {
            try {
              await tokens.jwtVerify(req.body.token!);
            } catch (error) {
              // With BLACKLIST_AFTER_ROTATION simplejwt's verify serializer says a blacklisted token is a 400.
              if (error instanceof DomainError && error.details.message === 'Token is blacklisted' && config.BLACKLIST_AFTER_ROTATION)
                throw new ApiError(400, { non_field_errors: ['Token is blacklisted'] });
              throw error;
            }
            return { status: 200, body: {} };
          },
        }),
      },
      { authenticates: false },
    ),
    endpoint(
      deps,
      '/token/refresh/',
      {
        POST: method({
          permission: 'allowAny',
          fields: { refresh: charField({ required: false }) },
          doc: {
            summary: 'A new access token, from the body’s refresh token or the refresh cookie',
            responses: { 200: { description: 'The access token.', body: z.object({ access: z.string(), access_expiration: z.string() }) } },
          },
          async handle(req) {
            const refresh = req.body.refresh ?? (cookies.refreshName ? cookiesOf(req.headers)[cookies.refreshName] : undefined);
            if (refresh === undefined)
              throw new ApiError(401, { detail: 'No valid refresh token found.', code: 'token_not_valid' }, BEARER_REALM);
            const fresh = await tokens.jwtRefresh(refresh, req.metadata);
            const now = new Date();
            const body = {
              access: fresh.access,
              ...(fresh.refresh !== undefined ? { refresh: fresh.refresh } : {}),
              access_expiration: expiration(config.ACCESS_TOKEN_LIFETIME, now),
              ...(fresh.refresh !== undefined ? { refresh_expiration: expiration(config.REFRESH_TOKEN_LIFETIME, now) } : {}),
            };
            return { status: 200, body, ...withCookies(cookies.set(fresh, now)) };
          },
        }),
      },
      { authenticates: false },
    ),
  ];
}
