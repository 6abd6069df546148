// users/set_password/, users/reset_password/, users/reset_password_confirm/.
import { validatePassword } from '../../auth/password-validators.js';
import { messages } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import { charField, requireRetyped, requireValidPassword } from '../fields.js';
import { emailRequestAction, userAction } from './actions.js';
import type { RouteDeps } from './deps.js';

export function passwordEndpoints({ config, useCases }: RouteDeps): Endpoint[] {
  const setRetype = config.SET_PASSWORD_RETYPE;
  const confirmRetype = config.PASSWORD_RESET_CONFIRM_RETYPE;
  const reNewPassword = (req: { body: object }) => (req.body as { re_new_password?: string }).re_new_password;
  return [
    userAction(
      '/users/set_password/',
      method({
        permission: 'authenticated',
        fields: { new_password: charField(), ...(setRetype ? { re_new_password: charField() } : {}), current_password: charField() },
        deferFieldErrors: true,
        doc: { summary: 'Change the password', responses: { 204: { description: 'Changed.' } } },
        async handle(req) {
          const { user, sessionId } = req.user();
          const { new_password: newPassword, current_password: current } = req.body;
          // djoser checks the current password as a field, so its error comes with the other field errors.
          const verified =
            current === undefined ? undefined : await req.check(useCases.password.verifyCurrent(user.id, current, req.metadata));
          req.assertValid();
          requireValidPassword('new_password', validatePassword(newPassword!, user));
          requireRetyped(setRetype, newPassword, reNewPassword(req), messages.passwordMismatch);
          await useCases.password.set(
            { userId: user.id, verifiedHash: verified!.verifiedHash, newPassword: newPassword!, sessionId },
            req.metadata,
          );
          return { status: 204 };
        },
      }),
    ),
    emailRequestAction('/users/reset_password/', (email, metadata) => useCases.password.requestReset(email, metadata), {
      summary: 'Email a password reset link',
    }),
    userAction(
      '/users/reset_password_confirm/',
      method({
        permission: 'allowAny',
        throttles: [{ scope: 'confirm', by: 'ip' }],
        fields: {
          uid: charField(),
          token: charField(),
          new_password: charField(),
          ...(confirmRetype ? { re_new_password: charField() } : {}),
        },
        doc: { summary: 'Reset the password (uid and token from the email)', responses: { 204: { description: 'Reset.' } } },
        async handle(req) {
          const { uid, token, new_password: newPassword } = req.body;
          // djoser's serializer runs the validators and the retype check before it looks at uid and token.
          requireValidPassword('new_password', validatePassword(newPassword!, {}));
          requireRetyped(confirmRetype, newPassword, reNewPassword(req), messages.passwordMismatch);
          await useCases.password.confirmReset({ uid: uid!, token: token!, newPassword: newPassword! }, req.metadata);
          return { status: 204 };
        },
      }),
    ),
  ];
}
