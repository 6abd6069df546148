// DRF authtoken's token/login/ and token/logout/, as djoser mounts them.
import { djoserErrors } from '../errors.js';
import { DomainError } from '../../commands/decider.js';
import { method, type Endpoint } from '../endpoint.js';
import { charField } from '../fields.js';
import type { RouteDeps } from './deps.js';
import { loginThrottles } from './actions.js';
import { authTokenBody } from '../openapi/bodies.js';

export function tokenEndpoints({ config, useCases }: RouteDeps): Endpoint[] {
  const login = config.LOGIN_FIELD;
  return [
    {
      path: '/token/login/',
      optionalSlash: true,
      errors: djoserErrors,
      methods: {
        POST: method({
          permission: 'allowAny',
          throttles: loginThrottles(login),
          // Both fields are optional in djoser's TokenCreateSerializer: a missing one is just bad credentials. It
          // declares `password` and adds the login field in __init__, so password errors come first.
          fields: { password: charField({ required: false }), [login]: charField({ required: false }) },
          doc: { summary: 'Log in: an auth token', responses: { 200: { description: 'The auth token.', body: authTokenBody } } },
          async handle(req) {
            const { password, [login]: name } = req.body;
            if (name === undefined || password === undefined) throw new DomainError('invalid_credentials');
            return { status: 200, body: { auth_token: await useCases.tokens.tokenLogin(name, password, req.metadata) } };
          },
        }),
      },
    },
    {
      path: '/token/logout/',
      optionalSlash: true,
      errors: djoserErrors,
      otherMethods: 'authenticated',
      methods: {
        POST: method({
          permission: 'authenticated',
          doc: { summary: 'Log out: destroy the auth token', responses: { 204: { description: 'Logged out.' } } },
          async handle(req) {
            await useCases.tokens.tokenLogout(req.user().user.id, req.metadata);
            return { status: 204 };
          },
        }),
      },
    },
  ];
}
