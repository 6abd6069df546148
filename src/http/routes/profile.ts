// users/me/ GET, PUT, PATCH (djoser's UserSerializer over the authenticated user).
import { djoserErrors } from '../errors.js';
import { method, type Endpoint, type EndpointRequest } from '../endpoint.js';
import type { Fields } from '../fields.js';
import type { RouteDeps } from './deps.js';

export function profileEndpoints({ useCases, users }: RouteDeps): Endpoint[] {
  // PUT requires what the model requires (e.g. a unique email, a required name); PATCH is partial.
  const update = async (req: EndpointRequest<Fields>) => {
    const { user } = req.user();
    // DRF's ModelSerializer.update stores the value as validated: no normalize_email here (unlike create_user).
    const changes = users.changes(req.body as Record<string, string | undefined>);
    return { status: 200, body: users.present(await useCases.profile.update(user.id, changes, req.metadata)) };
  };
  const user = (summary: string) => ({ summary, responses: { 200: { description: 'The authenticated user.', body: users.schema } } });
  return [
    {
      path: '/users/me/',
      errors: djoserErrors,
      fieldNames: users.errorNames,
      otherMethods: 'authenticated',
      methods: {
        GET: method({
          permission: 'authenticated',
          doc: user('The authenticated user'),
          handle: async (req) => ({ status: 200, body: users.present(req.user().user) }),
        }),
        PUT: method({
          permission: 'authenticated',
          fields: users.update(false),
          doc: user('Update the authenticated user'),
          handle: update,
        }),
        PATCH: method({
          permission: 'authenticated',
          fields: users.update(true),
          doc: user('Update some fields of the authenticated user'),
          handle: update,
        }),
      },
    },
  ];
}
