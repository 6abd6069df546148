// users/me/ GET, PUT, PATCH (djoser's UserSerializer over the authenticated user).
import { djoserErrors } from '../errors.js';
import { method, type Endpoint, type EndpointRequest } from '../endpoint.js';
import { emailField } from '../fields.js';
import { presentUser } from './present.js';
import type { RouteDeps } from './deps.js';
import { userBody } from '../openapi/bodies.js';

export function profileEndpoints({ config, useCases }: RouteDeps): Endpoint[] {
  // PUT requires what the model requires: with EMAIL_UNIQUE that is the email (djoser's UserSerializer); PATCH is partial.
  const email = (put: boolean) => (config.EMAIL_UNIQUE ? emailField({ required: put }) : emailField({ required: false, allowBlank: true }));
  const update = async (req: EndpointRequest<{ email: ReturnType<typeof email> }>) => {
    const { user } = req.user();
    // DRF's ModelSerializer.update stores the value as validated: no normalize_email here (unlike create_user).
    const changes = req.body.email === undefined ? {} : { email: req.body.email };
    return { status: 200, body: presentUser(await useCases.profile.update(user.id, changes, req.metadata)) };
  };
  const user = (summary: string) => ({ summary, responses: { 200: { description: 'The authenticated user.', body: userBody } } });
  return [
    {
      path: '/users/me/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      methods: {
        GET: method({
          permission: 'authenticated',
          doc: user('The authenticated user'),
          handle: async (req) => ({ status: 200, body: presentUser(req.user().user) }),
        }),
        PUT: method({
          permission: 'authenticated',
          fields: { email: email(true) },
          doc: user('Update the authenticated user'),
          handle: update,
        }),
        PATCH: method({
          permission: 'authenticated',
          fields: { email: email(false) },
          doc: user('Update some fields of the authenticated user'),
          handle: update,
        }),
      },
    },
  ];
}
