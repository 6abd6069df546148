// users/me/ DELETE (djoser's UserDeleteSerializer: the current password).
import { djoserErrors } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import { charField } from '../fields.js';
import type { RouteDeps } from './deps.js';

export function deletionEndpoints({ useCases }: RouteDeps): Endpoint[] {
  return [
    {
      path: '/users/me/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      methods: {
        DELETE: method({
          permission: 'authenticated',
          fields: { current_password: charField() },
          doc: { summary: 'Delete the authenticated user', responses: { 204: { description: 'Deleted: its credentials stop working.' } } },
          async handle(req) {
            const { user } = req.user();
            const { verifiedHash } = await useCases.deletion.verifyCurrent(user.id, req.body.current_password!, req.metadata);
            await useCases.deletion.delete({ callerId: user.id, userId: user.id, verifiedHash }, req.metadata);
            return { status: 204 };
          },
        }),
      },
    },
  ];
}
