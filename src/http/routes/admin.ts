// djoser's UserViewSet list and detail routes: GET users/, GET|PUT|PATCH|DELETE users/<id>/, and the staff actions
// authstream adds (users/<id>/deactivate/, users/<id>/reactivate/). djoser's order: 401 (anonymous) → 405 (a
// method the route lacks) → 404 (no such user) → the object permission (403, or 404 with HIDE_USERS) → the body.
import type { Caller } from '../../commands/admin.js';
import type { Principal } from '../authenticate.js';
import { djoserErrors } from '../errors.js';
import { method, type Endpoint, type EndpointRequest } from '../endpoint.js';
import { charField, type Fields } from '../fields.js';
import { requestedPage } from '../pagination.js';
import { userAction } from './actions.js';
import type { RouteDeps } from './deps.js';

const DONE = {
  deactivate: 'Deactivated: its credentials stop working, and its JWTs stay dead after a reactivation.',
  reactivate: 'Reactivated.',
  unlock: 'Unlocked: failed logins are forgotten.',
};

const callerOf = ({ user }: Principal): Caller => ({ id: user.id, isStaff: user.isStaff, isSuperuser: user.isSuperuser });

export function adminEndpoints({ config, useCases, users }: RouteDeps): Endpoint[] {
  const { admin } = useCases;
  const update = async (req: EndpointRequest<Fields>) => {
    const target = await admin.find(callerOf(req.user()), req.params.id!, 'update');
    req.assertValid();
    const changes = users.changes(req.body as Record<string, string | undefined>);
    return { status: 200, body: users.present(await useCases.profile.update(target.id, changes, req.metadata)) };
  };
  const staffAction = (verb: 'deactivate' | 'reactivate' | 'unlock') =>
    userAction(
      `/users/:id/${verb}/`,
      method({
        permission: 'authenticated',
        doc: {
          summary: `Staff: ${verb} a user`,
          responses: { 204: { description: DONE[verb] } },
        },
        async handle(req) {
          const caller = callerOf(req.user());
          admin.requireStaff(caller);
          const target = await admin.find(caller, req.params.id!, 'update');
          await admin[verb](caller, target.id, req.metadata);
          return { status: 204 };
        },
      }),
    );
  return [
    {
      path: '/users/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      methods: {
        GET: method({
          permission: 'authenticated',
          doc: { summary: 'List users (staff: everyone; others: themselves, as HIDE_USERS says)' },
          async handle(req) {
            const caller = callerOf(req.user());
            const page = await requestedPage(config, req.url, () => admin.count(caller));
            if (!page)
              return { status: 200, body: (await admin.list(caller, { offset: 0, limit: Number.MAX_SAFE_INTEGER })).map(users.present) };
            const [count, listed] = await Promise.all([admin.count(caller), admin.list(caller, page)]);
            return { status: 200, body: page.body(count, listed.map(users.present)) };
          },
        }),
      },
    },
    {
      path: '/users/:id/',
      errors: djoserErrors,
      fieldNames: users.errorNames,
      otherMethods: 'authenticated',
      doc: { params: { id: { description: "The user's id." } } },
      methods: {
        GET: method({
          permission: 'authenticated',
          doc: { summary: 'A user', responses: { 200: { description: 'The user.', body: users.schema } } },
          handle: async (req) => ({ status: 200, body: users.present(await admin.find(callerOf(req.user()), req.params.id!, 'retrieve')) }),
        }),
        PUT: method({
          permission: 'authenticated',
          fields: users.update(false),
          deferFieldErrors: true,
          doc: { summary: 'Update a user' },
          handle: update,
        }),
        PATCH: method({
          permission: 'authenticated',
          fields: users.update(true),
          deferFieldErrors: true,
          doc: { summary: 'Update some fields of a user' },
          handle: update,
        }),
        DELETE: method({
          permission: 'authenticated',
          // djoser checks the caller's own current password, a staff member deleting someone else too.
          fields: { current_password: charField() },
          deferFieldErrors: true,
          doc: { summary: 'Delete a user (with the caller’s own current password)', responses: { 204: { description: 'Deleted.' } } },
          async handle(req) {
            const { user } = req.user();
            const target = await admin.find(callerOf(req.user()), req.params.id!, 'destroy');
            req.assertValid();
            const { verifiedHash } = await useCases.deletion.verifyCurrent(user.id, req.body.current_password!, req.metadata);
            await useCases.deletion.delete({ callerId: user.id, userId: target.id, verifiedHash }, req.metadata);
            return { status: 204 };
          },
        }),
      },
    },
    staffAction('deactivate'),
    staffAction('reactivate'),
    staffAction('unlock'),
  ];
}
