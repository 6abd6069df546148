// simplejwt's views as djoser mounts them: jwt/create/, jwt/refresh/, jwt/verify/, and simplejwt's
// TokenBlacklistView at jwt/blacklist/. They have no authentication classes, so they never look at Authorization.
import { jwtErrors } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import { charField } from '../fields.js';
import type { RouteDeps } from './deps.js';
import { loginThrottles } from './actions.js';
import { accessTokenBody, emptyBody, tokenPairBody } from '../openapi/bodies.js';

export function jwtEndpoints({ config, useCases }: RouteDeps): Endpoint[] {
  const login = config.LOGIN_FIELD;
  const jwtView = (path: string, handle: Endpoint['methods']['POST']): Endpoint => ({
    path,
    optionalSlash: true,
    authenticates: false,
    errors: jwtErrors,
    methods: { POST: handle },
  });
  return [
    jwtView(
      '/jwt/create/',
      method({
        permission: 'allowAny',
        throttles: loginThrottles(login),
        fields: { [login]: charField(), password: charField() },
        doc: {
          summary: 'Log in: a JWT pair',
          responses: {
            200: { description: 'Refresh and access tokens.', body: tokenPairBody },
            401: { description: 'No active account found with the given credentials.' },
          },
        },
        handle: async (req) => ({ status: 200, body: await useCases.tokens.jwtCreate(req.body[login]!, req.body.password!, req.metadata) }),
      }),
    ),
    jwtView(
      '/jwt/refresh/',
      method({
        permission: 'allowAny',
        fields: { refresh: charField() },
        doc: {
          summary: 'A new access token',
          description: 'With ROTATE_REFRESH_TOKENS the answer has a new `refresh` too.',
          responses: {
            200: { description: 'The access token.', body: accessTokenBody },
            401: { description: 'The refresh token is invalid or expired, or its account is inactive.' },
          },
        },
        handle: async (req) => ({ status: 200, body: await useCases.tokens.jwtRefresh(req.body.refresh!, req.metadata) }),
      }),
    ),
    jwtView(
      '/jwt/verify/',
      method({
        permission: 'allowAny',
        fields: { token: charField() },
        doc: {
          summary: 'Check a token',
          responses: {
            200: { description: 'The token is valid.', body: emptyBody },
            401: { description: 'The token is invalid or expired.' },
          },
        },
        handle: async (req) => {
          await useCases.tokens.jwtVerify(req.body.token!);
          return { status: 200, body: {} };
        },
      }),
    ),
    jwtView(
      '/jwt/blacklist/',
      method({
        permission: 'allowAny',
        fields: { refresh: charField() },
        doc: {
          summary: 'Log out a JWT session: its refresh token and every access token made from it stop working',
          responses: {
            200: { description: 'Blacklisted.', body: emptyBody },
            401: { description: 'The token is invalid, expired or already blacklisted.' },
          },
        },
        handle: async (req) => {
          await useCases.tokens.jwtBlacklist(req.body.refresh!, req.metadata);
          return { status: 200, body: {} };
        },
      }),
    ),
  ];
}
