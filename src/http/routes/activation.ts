// users/activation/ and users/resend_activation/.
import { djoserErrors } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import { charField, emailField } from '../fields.js';
import type { RouteDeps } from './deps.js';

export function activationEndpoints({ useCases }: RouteDeps): Endpoint[] {
  return [
    {
      path: '/users/activation/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      methods: {
        POST: method({
          permission: 'allowAny',
          fields: { uid: charField(), token: charField() },
          async handle(req) {
            await useCases.activation.activate({ uid: req.body.uid!, token: req.body.token! }, req.metadata);
            return { status: 204 };
          },
        }),
      },
    },
    {
      path: '/users/resend_activation/',
      errors: djoserErrors,
      otherMethods: 'authenticated',
      methods: {
        POST: method({
          permission: 'allowAny',
          fields: { email: emailField() },
          async handle(req) {
            await useCases.activation.resendActivation(req.body.email!, req.metadata);
            return { status: 204 };
          },
        }),
      },
    },
  ];
}
