// users/activation/ and users/resend_activation/.
import { method, type Endpoint } from '../endpoint.js';
import { charField } from '../fields.js';
import { emailRequestAction, userAction } from './actions.js';
import type { RouteDeps } from './deps.js';

export function activationEndpoints({ useCases }: RouteDeps): Endpoint[] {
  return [
    userAction(
      '/users/activation/',
      method({
        permission: 'allowAny',
        throttles: [{ scope: 'confirm', by: 'ip' }],
        fields: { uid: charField(), token: charField() },
        doc: {
          summary: 'Activate a user (uid and token from the activation email)',
          responses: { 204: { description: 'Activated.' }, 403: { description: 'Stale token: the user is already active.' } },
        },
        async handle(req) {
          await useCases.activation.activate({ uid: req.body.uid!, token: req.body.token! }, req.metadata);
          return { status: 204 };
        },
      }),
    ),
    emailRequestAction('/users/resend_activation/', (email, metadata) => useCases.activation.resendActivation(email, metadata), {
      summary: 'Send the activation email again',
    }),
  ];
}
