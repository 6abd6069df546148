// users/me/ GET, PUT, PATCH (djoser's UserSerializer over the authenticated user). With EMAIL_CHANGE_REQUIRES_PASSWORD
// an email change also takes current_password, so a stolen access token alone cannot move the account's mailbox.
import { djoserErrors } from '../errors.js';
import { method, type Endpoint, type EndpointRequest } from '../endpoint.js';
import { charField, type Fields } from '../fields.js';
import type { RouteDeps } from './deps.js';

export function profileEndpoints({ config, useCases, users }: RouteDeps): Endpoint[] {
  const guarded = config.EMAIL_CHANGE_REQUIRES_PASSWORD;
  // PUT requires what the model requires (e.g. a unique email, a required name); PATCH is partial.
  const fields = (partial: boolean): Fields => ({
    ...users.update(partial),
    ...(guarded ? { current_password: charField({ required: false }) } : {}),
  });
  const update = async (req: EndpointRequest<Fields>) => {
    const { user } = req.user();
    const body = req.body as Record<string, string | undefined>;
    // DRF's ModelSerializer.update stores the value as validated: no normalize_email here (unlike create_user).
    const changes = users.changes(body);
    if (guarded && changes.email !== undefined && changes.email !== user.email) {
      if (body.current_password === undefined) req.fieldError('current_password', 'This field is required.');
      else await req.check(useCases.profile.verifyCurrent(user.id, body.current_password, req.metadata));
    }
    req.assertValid();
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
          fields: fields(false),
          deferFieldErrors: true,
          doc: user('Update the authenticated user'),
          handle: update,
        }),
        PATCH: method({
          permission: 'authenticated',
          fields: fields(true),
          deferFieldErrors: true,
          doc: user('Update some fields of the authenticated user'),
          handle: update,
        }),
      },
    },
  ];
}
