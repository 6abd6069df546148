// The login-name actions, named after USERNAME_FIELD as djoser names them: users/set_username/, users/reset_username/,
// users/reset_username_confirm/ — users/set_email/, users/reset_email/, users/reset_email_confirm/ on the email model.
import { method, type Endpoint } from '../endpoint.js';
import { charField, emailField, requireRetyped, usernameField } from '../fields.js';
import { emailRequestAction, userAction } from './actions.js';
import type { RouteDeps } from './deps.js';

export function usernameEndpoints({ config, useCases, model, users }: RouteDeps): Endpoint[] {
  const field = model.usernameField;
  const [newField, reNewField] = [`new_${field}`, `re_new_${field}`];
  const setRetype = config.SET_USERNAME_RETYPE;
  const confirmRetype = config.USERNAME_RESET_CONFIRM_RETYPE;
  const valueField = () => (field === 'username' ? usernameField() : emailField());
  const body = (req: { body: object }) => req.body as Record<string, string | undefined>;
  // djoser's USERNAME_MISMATCH_ERROR, formatted with the field's name.
  const mismatch = `The two ${field} fields didn't match.`;
  // The new value is the serializer's new_<field>, so that is what a taken-value error names.
  const fieldNames = { [field]: newField, ...users.errorNames };
  return [
    userAction(
      `/users/set_${field}/`,
      method({
        permission: 'authenticated',
        fields: { current_password: charField(), [newField]: valueField(), ...(setRetype ? { [reNewField]: charField() } : {}) },
        deferFieldErrors: true,
        doc: { summary: `Change the ${field}`, responses: { 204: { description: 'Changed.' } } },
        async handle(req) {
          const { user } = req.user();
          const { current_password: current, [newField]: value } = body(req);
          const verified =
            current === undefined ? undefined : await req.check(useCases.username.verifyCurrent(user.id, current, req.metadata));
          if (value !== undefined) await req.check(useCases.username.checkAvailable(value));
          req.assertValid();
          requireRetyped(setRetype, value, body(req)[reNewField], mismatch);
          await useCases.username.set({ userId: user.id, verifiedHash: verified!.verifiedHash, value: value! }, req.metadata);
          return { status: 204 };
        },
      }),
      { fieldNames },
    ),
    emailRequestAction(`/users/reset_${field}/`, (email, metadata) => useCases.username.requestReset(email, metadata), {
      summary: `Email a ${field} reset link`,
    }),
    userAction(
      `/users/reset_${field}_confirm/`,
      method({
        permission: 'allowAny',
        throttles: [{ scope: 'confirm', by: 'ip' }],
        fields: { [newField]: valueField(), ...(confirmRetype ? { [reNewField]: charField() } : {}) },
        deferFieldErrors: true,
        doc: {
          summary: `Reset the ${field} (uid and token from the email)`,
          description: '`uid` and `token` are read from the body as sent, beside the fields below.',
          responses: { 204: { description: 'Reset.' } },
        },
        async handle(req) {
          const value = body(req)[newField];
          if (value !== undefined) await req.check(useCases.username.checkAvailable(value));
          req.assertValid();
          requireRetyped(confirmRetype, value, body(req)[reNewField], mismatch);
          // djoser's ModelSerializer drops uid and token as declared fields: they are read raw from the body, so a
          // missing or non-string value is never "required", just an invalid uid (or token).
          const { uid, token } = req.rawBody;
          const input = { uid: typeof uid === 'string' ? uid : '', token: typeof token === 'string' ? token : '', value: value! };
          await useCases.username.confirmReset(input, req.metadata);
          return { status: 204 };
        },
      }),
      { fieldNames },
    ),
  ];
}
