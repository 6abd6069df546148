// POST users/ (djoser's UserCreateSerializer, or UserCreatePasswordRetypeSerializer with USER_CREATE_PASSWORD_RETYPE).
import { validatePassword } from '../../auth/password-validators.js';
import { normalizeEmail } from '../../commands/normalize.js';
import { djoserErrors, messages } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import { charField, emailField, requireRetyped, requireValidPassword, usernameField } from '../fields.js';
import type { RouteDeps } from './deps.js';
import { userBody } from '../openapi/bodies.js';

export function registrationEndpoints({ config, useCases }: RouteDeps): Endpoint[] {
  const fields = {
    // EMAIL_UNIQUE stands for a custom User whose email is `EmailField(unique=True)`: required, not blank.
    email: config.EMAIL_UNIQUE ? emailField() : emailField({ required: false, allowBlank: true }),
    username: usernameField(),
    password: charField(),
    ...(config.USER_CREATE_PASSWORD_RETYPE ? { re_password: charField() } : {}),
  };
  return [
    {
      path: '/users/',
      errors: djoserErrors,
      // Other methods fall back on the ViewSet's default permission, CurrentUserOrAdmin.
      otherMethods: 'authenticated',
      methods: {
        POST: method({
          permission: 'allowAny',
          fields,
          deferFieldErrors: true,
          doc: {
            summary: 'Register a user',
            ...(config.SEND_ACTIVATION_EMAIL ? { description: 'The account stays inactive until activated (users/activation/).' } : {}),
            responses: { 201: { description: 'The user was created.', body: userBody } },
          },
          async handle(req) {
            const { username, email, password } = req.body;
            // DRF's UniqueValidator runs with the field validators; the write side enforces it.
            await req.check(useCases.registration.checkAvailable({ username, email }));
            req.assertValid();
            requireValidPassword('password', validatePassword(password!, { username: username!, email: normalizeEmail(email ?? '') }));
            requireRetyped(
              config.USER_CREATE_PASSWORD_RETYPE,
              password,
              (req.body as { re_password?: string }).re_password,
              messages.passwordMismatch,
            );
            const account = await useCases.registration.register(
              { username: username!, email: email ?? '', password: password! },
              req.metadata,
            );
            return { status: 201, body: { email: account.email, username: account.username, id: account.id } };
          },
        }),
      },
    },
  ];
}
