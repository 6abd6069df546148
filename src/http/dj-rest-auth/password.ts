// password/change/, password/reset/, password/reset/confirm/ (dj_rest_auth/views.py, serializers.py
// PasswordChangeSerializer, PasswordResetSerializer, PasswordResetConfirmSerializer; Django's SetPasswordForm).
import { validatePassword, type PasswordUser } from '../../auth/password-validators.js';
import type { Account } from '../../commands/account.state.js';
import type { UserDoc } from '../../readmodel/port.js';
import { ApiError } from '../errors.js';
import { method, type Endpoint } from '../endpoint.js';
import { charField, emailField } from '../fields.js';
import { detailBody, endpoint, type SurfaceDeps } from './deps.js';
import { djRestAuthMessages } from './errors.js';

const passwordField = () => charField({ maxLength: 128 });
const asPasswordUser = (user: UserDoc | Account): PasswordUser => ({
  username: user.username,
  email: user.email,
  firstName: user.firstName,
  lastName: user.lastName,
});

/** SetPasswordForm: the two must match, then Django's validators (with the user): errors on new_password2. */
function checkNewPassword(password1: string, password2: string, user: PasswordUser): void {
  if (password1 !== password2) throw new ApiError(400, { new_password2: [djRestAuthMessages.setPasswordMismatch] });
  const problems = validatePassword(password2, user);
  if (problems.length) throw new ApiError(400, { new_password2: problems });
}

export function passwordEndpoints(deps: SurfaceDeps): Endpoint[] {
  const { config, useCases } = deps;
  const { djRestAuth } = useCases;
  const withOld = config.REST_AUTH_OLD_PASSWORD_FIELD_ENABLED;
  const ok = (description: string) => ({ 200: { description, body: detailBody } });
  return [
    endpoint(deps, '/password/change/', {
      POST: method({
        permission: 'authenticated',
        fields: { ...(withOld ? { old_password: passwordField() } : {}), new_password1: passwordField(), new_password2: passwordField() },
        deferFieldErrors: true,
        doc: { summary: 'Change the password', responses: ok('Changed.') },
        async handle(req) {
          const { user, sessionId } = req.user();
          const body = req.body as { old_password?: string; new_password1?: string; new_password2?: string };
          // The old password is a field validator: its error comes with the other field errors, and stops the rest.
          const verified =
            withOld && body.old_password !== undefined
              ? await req.check(djRestAuth.verifyOldPassword(user.id, body.old_password, req.metadata))
              : undefined;
          req.assertValid();
          checkNewPassword(body.new_password1!, body.new_password2!, asPasswordUser(user));
          await djRestAuth.changePassword(
            { userId: user.id, newPassword: body.new_password1!, sessionId, ...(verified ? { verifiedHash: verified.verifiedHash } : {}) },
            req.metadata,
          );
          return { status: 200, body: { detail: 'New password has been saved.' } };
        },
      }),
    }),
    endpoint(deps, '/password/reset/', {
      POST: method({
        permission: 'allowAny',
        throttles: [{ scope: 'email_request', by: 'ip' }],
        fields: { email: emailField() },
        doc: { summary: 'Email a password reset link', responses: ok('Accepted: sent if the address is an active account’s.') },
        async handle(req) {
          await djRestAuth.requestReset(req.body.email!, req.metadata);
          return { status: 200, body: { detail: 'Password reset e-mail has been sent.' } };
        },
      }),
    }),
    endpoint(deps, '/password/reset/confirm/', {
      POST: method({
        permission: 'allowAny',
        throttles: [{ scope: 'confirm', by: 'ip' }],
        fields: { new_password1: passwordField(), new_password2: passwordField(), uid: charField(), token: charField() },
        doc: { summary: 'Reset the password (uid and token from the email)', responses: ok('Reset.') },
        async handle(req) {
          const { new_password1: password1, new_password2: password2, uid, token } = req.body;
          // allauth's order: the uid, then the token, then the passwords (with the uid's user).
          const account = await djRestAuth.accountOfUid(uid!);
          djRestAuth.checkResetToken(account, token!);
          checkNewPassword(password1!, password2!, asPasswordUser(account));
          await djRestAuth.confirmReset(account, token!, password1!, req.metadata);
          return { status: 200, body: { detail: 'Password has been reset with the new password.' } };
        },
      }),
    }),
  ];
}
