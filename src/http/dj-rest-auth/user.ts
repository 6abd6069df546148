// user/ GET, PUT, PATCH (dj_rest_auth/views.py UserDetailsView, serializers.py UserDetailsSerializer): pk and email
// are read-only; the username is checked as allauth's clean_username does (case-insensitive, the user's own
// included: sending your current username is "already exists").
import { method, type Endpoint, type EndpointRequest } from '../endpoint.js';
import { charField, usernameField, type Fields } from '../fields.js';
import { endpoint, present, userBody, type SurfaceDeps } from './deps.js';
import { djRestAuthMessages } from './errors.js';

/** allauth's ACCOUNT_USERNAME_BLACKLIST check (case-insensitive). */
export const blacklisted = (list: readonly string[], username: string) => list.some((b) => b.toLowerCase() === username.toLowerCase());

export function userEndpoints(deps: SurfaceDeps): Endpoint[] {
  const { config, useCases } = deps;
  const name = () => charField({ required: false, allowBlank: true, maxLength: 150 });
  const fields = (partial: boolean): Fields => ({
    username: partial ? usernameField().optional() : usernameField(),
    first_name: name(),
    last_name: name(),
  });
  const update = async (req: EndpointRequest<Fields>) => {
    const { user } = req.user();
    const body = req.body as { username?: string; first_name?: string; last_name?: string };
    if (body.username !== undefined) {
      if (blacklisted(config.ACCOUNT_USERNAME_BLACKLIST, body.username)) req.fieldError('username', djRestAuthMessages.usernameBlacklisted);
      else await req.check(useCases.djRestAuth.checkUsernameAvailable(body.username));
    }
    req.assertValid();
    const account = await useCases.djRestAuth.updateUser(
      user.id,
      {
        ...(body.username !== undefined ? { username: body.username } : {}),
        ...(body.first_name !== undefined ? { firstName: body.first_name } : {}),
        ...(body.last_name !== undefined ? { lastName: body.last_name } : {}),
      },
      req.metadata,
    );
    return { status: 200, body: present(account) };
  };
  const doc = (summary: string) => ({ summary, responses: { 200: { description: 'The authenticated user.', body: userBody } } });
  return [
    endpoint(
      deps,
      '/user/',
      {
        GET: method({
          permission: 'authenticated',
          doc: doc('The authenticated user'),
          handle: async (req) => ({ status: 200, body: present(req.user().user) }),
        }),
        PUT: method({
          permission: 'authenticated',
          fields: fields(false),
          deferFieldErrors: true,
          doc: doc('Update the user (username required)'),
          handle: update,
        }),
        PATCH: method({
          permission: 'authenticated',
          fields: fields(true),
          deferFieldErrors: true,
          doc: doc('Update some fields of the user'),
          handle: update,
        }),
      },
      { otherMethods: 'authenticated' },
    ),
  ];
}
