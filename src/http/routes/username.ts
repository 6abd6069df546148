// users/set_username/, users/reset_username/, users/reset_username_confirm/.
import { messages } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import { charField, requireRetyped, usernameField } from '../fields.js';
import { emailRequestAction, userAction } from './actions.js';
import type { RouteDeps } from './deps.js';

export function usernameEndpoints({ config, useCases }: RouteDeps): Endpoint[] {
  const setRetype = config.SET_USERNAME_RETYPE;
  const confirmRetype = config.USERNAME_RESET_CONFIRM_RETYPE;
  const reNewUsername = (req: { body: object }) => (req.body as { re_new_username?: string }).re_new_username;
  // The new name is the serializer's new_username field, so that is what a taken-name error names.
  const fieldNames = { username: 'new_username' } as const;
  return [
    userAction(
      '/users/set_username/',
      method({
        permission: 'authenticated',
        fields: { current_password: charField(), new_username: usernameField(), ...(setRetype ? { re_new_username: charField() } : {}) },
        deferFieldErrors: true,
        doc: { summary: 'Change the username', responses: { 204: { description: 'Changed.' } } },
        async handle(req) {
          const { user } = req.user();
          const { current_password: current, new_username: username } = req.body;
          const verified = current === undefined ? undefined : await req.check(useCases.username.verifyCurrent(user.id, current));
          if (username !== undefined) await req.check(useCases.username.checkAvailable(username));
          req.assertValid();
          requireRetyped(setRetype, username, reNewUsername(req), messages.usernameMismatch);
          await useCases.username.set({ userId: user.id, verifiedHash: verified!.verifiedHash, username: username! }, req.metadata);
          return { status: 204 };
        },
      }),
      { fieldNames },
    ),
    emailRequestAction('/users/reset_username/', (email, metadata) => useCases.username.requestReset(email, metadata), {
      summary: 'Email a username reset link',
    }),
    userAction(
      '/users/reset_username_confirm/',
      method({
        permission: 'allowAny',
        fields: { new_username: usernameField(), ...(confirmRetype ? { re_new_username: charField() } : {}) },
        deferFieldErrors: true,
        doc: {
          summary: 'Reset the username (uid and token from the email)',
          description: '`uid` and `token` are read from the body as sent, beside the fields below.',
          responses: { 204: { description: 'Reset.' } },
        },
        async handle(req) {
          const username = req.body.new_username;
          if (username !== undefined) await req.check(useCases.username.checkAvailable(username));
          req.assertValid();
          requireRetyped(confirmRetype, username, reNewUsername(req), messages.usernameMismatch);
          // djoser's ModelSerializer drops uid and token as declared fields: they are read raw from the body, so a
          // missing or non-string value is never "required", just an invalid uid (or token).
          const { uid, token } = req.rawBody;
          const input = { uid: typeof uid === 'string' ? uid : '', token: typeof token === 'string' ? token : '', username: username! };
          await useCases.username.confirmReset(input, req.metadata);
          return { status: 204 };
        },
      }),
      { fieldNames },
    ),
  ];
}
