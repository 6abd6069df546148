// POST users/ (djoser's UserCreateSerializer, or UserCreatePasswordRetypeSerializer with USER_CREATE_PASSWORD_RETYPE).
import { validatePassword } from '../../auth/password-validators.js';
import { normalizeEmail } from '../../commands/normalize.js';
import { djoserErrors, messages } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import { requireRetyped, requireValidPassword } from '../fields.js';
import type { RouteDeps } from './deps.js';

export function registrationEndpoints({ config, useCases, model, users }: RouteDeps): Endpoint[] {
  const fields = users.create(config.USER_CREATE_PASSWORD_RETYPE);
  return [
    {
      path: '/users/',
      errors: djoserErrors,
      fieldNames: users.errorNames,
      // Other methods fall back on the ViewSet's default permission, CurrentUserOrAdmin.
      otherMethods: 'authenticated',
      methods: {
        POST: method({
          permission: 'allowAny',
          throttles: [{ scope: 'register', by: 'ip' }],
          fields,
          deferFieldErrors: true,
          doc: {
            summary: 'Register a user',
            ...(config.SEND_ACTIVATION_EMAIL ? { description: 'The account stays inactive until activated (users/activation/).' } : {}),
            responses: { 201: { description: 'The user was created.', body: users.schema } },
          },
          async handle(req) {
            const body = req.body as Record<string, string | undefined>;
            const { username, email, password } = body;
            // DRF's UniqueValidator runs with the field validators; the write side enforces it.
            await req.check(useCases.registration.checkAvailable({ username, email }));
            req.assertValid();
            // Django's validators see a transient User: its username, names and email (not the model's own fields).
            const candidate = {
              username: model.usernameField === 'username' ? username! : undefined,
              email: normalizeEmail(email ?? ''),
              firstName: body.first_name,
              lastName: body.last_name,
            };
            requireValidPassword('password', validatePassword(password!, candidate));
            requireRetyped(
              config.USER_CREATE_PASSWORD_RETYPE,
              password,
              (req.body as { re_password?: string }).re_password,
              messages.passwordMismatch,
            );
            const account = await useCases.registration.register(users.registration(body), req.metadata);
            return { status: 201, body: users.created(account) };
          },
        }),
      },
    },
  ];
}
