// registration/, registration/verify-email/, registration/resend-email/ (dj_rest_auth/registration/views.py,
// serializers.py RegisterSerializer; allauth's signup). The account is active at once (allauth verifies the address,
// never is_active); optional and mandatory verification ask for the confirmation email.
import { validatePassword } from '../../auth/password-validators.js';
import { ApiError } from '../errors.js';
import { method, type Endpoint, type Reply } from '../endpoint.js';
import { charField, emailField, usernameField, type Fields } from '../fields.js';
import { detailBody, endpoint, present, userBody, type SurfaceDeps } from './deps.js';
import { djRestAuthMessages } from './errors.js';
import { blacklisted } from './user.js';
import { z } from 'zod';

export function registrationEndpoints(deps: SurfaceDeps): Endpoint[] {
  const { config, useCases } = deps;
  const { djRestAuth, registration, tokens, emailVerification } = useCases;
  const mode = config.ACCOUNT_EMAIL_VERIFICATION;
  const minLength = config.ACCOUNT_USERNAME_MIN_LENGTH;
  const username = usernameField();
  const fields: Fields = {
    username: config.ACCOUNT_USERNAME_REQUIRED ? username : username.optional(),
    email: config.ACCOUNT_EMAIL_REQUIRED ? emailField() : emailField({ required: false }),
    password1: charField(),
    password2: charField(),
  };

  /** What a registration answers, by the settings (registration/views.py get_response_data, create). */
  async function answer(login: string, password: string, metadata: Record<string, unknown>): Promise<Reply> {
    if (mode === 'mandatory') return { status: 201, body: { detail: 'Verification e-mail sent.' } };
    if (config.REST_AUTH_USE_JWT) {
      // The refresh token is in the body whatever JWT_AUTH_HTTPONLY says, and no cookies are set (dj-rest-auth's).
      const method = deps.cookies.accessName ? 'cookie' : 'jwt';
      const { account, sessionId } = await tokens.logIn(
        login,
        password,
        { method, by: 'username', session: true, recordLastLogin: true },
        metadata,
      );
      const pair = await tokens.tokenPair(account, sessionId!);
      return { status: 201, body: { access: pair.access, refresh: pair.refresh, user: present(account) } };
    }
    // The default (SESSION_LOGIN): allauth logs the new user into a session and dj-rest-auth answers 204 with no token.
    if (config.REST_AUTH_SESSION_LOGIN) return { status: 204 };
    const { account } = await tokens.logIn(
      login,
      password,
      { method: 'token', by: 'username', drfToken: true, recordLastLogin: true },
      metadata,
    );
    return { status: 201, body: { key: tokens.drfTokenKey(account) } };
  }

  const registered =
    mode === 'mandatory'
      ? detailBody
      : config.REST_AUTH_USE_JWT
        ? z.object({ access: z.string(), refresh: z.string(), user: userBody })
        : z.object({ key: z.string() });

  return [
    endpoint(deps, '/registration/', {
      POST: method({
        permission: 'allowAny',
        throttles: [{ scope: 'register', by: 'ip' }],
        fields,
        deferFieldErrors: true,
        doc: {
          summary: 'Register',
          description: 'Answers 201 with a token, JWTs or "Verification e-mail sent.", or 204 (SESSION_LOGIN in token mode).',
          responses: { 201: { description: 'Registered.', body: registered }, 204: { description: 'Registered (no token).' } },
        },
        async handle(req) {
          const body = req.body as { username?: string; email?: string; password1?: string; password2?: string };
          if (body.username !== undefined) {
            if ([...body.username].length < minLength)
              req.fieldError('username', `Ensure this field has at least ${minLength} character${minLength === 1 ? '' : 's'}.`);
            else if (blacklisted(config.ACCOUNT_USERNAME_BLACKLIST, body.username))
              req.fieldError('username', djRestAuthMessages.usernameBlacklisted);
            else await req.check(djRestAuth.checkUsernameAvailable(body.username));
          }
          if (body.email && config.ACCOUNT_UNIQUE_EMAIL) await req.check(djRestAuth.checkEmailAvailable(body.email));
          // password1: Django's validators without a user (no similarity yet).
          if (body.password1 !== undefined) for (const problem of validatePassword(body.password1)) req.fieldError('password1', problem);
          req.assertValid();
          if (body.password1 !== body.password2) throw new ApiError(400, { non_field_errors: [djRestAuthMessages.registrationMismatch] });
          const name = body.username ?? (await djRestAuth.generateUsername(body.email ?? ''));
          const email = body.email ?? '';
          // save(): the validators again, with the user about to be made (similarity), as non-field errors.
          const similar = validatePassword(body.password1!, { username: name, email, firstName: '', lastName: '' });
          if (similar.length) throw new ApiError(400, { non_field_errors: similar });
          const account = await registration.signUp({ username: name, email, password: body.password1! }, req.metadata);
          if (mode !== 'none') await emailVerification.requestAtSignup(account.id, req.metadata);
          return answer(account.username, body.password1!, req.metadata);
        },
      }),
    }),
    endpoint(deps, '/registration/verify-email/', {
      POST: method({
        permission: 'allowAny',
        throttles: [{ scope: 'confirm', by: 'ip' }],
        fields: { key: charField() },
        doc: {
          summary: 'Verify the email address (the key from the confirmation email)',
          responses: {
            200: { description: 'Verified.', body: detailBody },
            404: { description: 'Unknown, expired, used or superseded key.' },
          },
        },
        async handle(req) {
          await emailVerification.verify(req.body.key!, req.metadata);
          return { status: 200, body: { detail: 'ok' } };
        },
      }),
    }),
    endpoint(deps, '/registration/resend-email/', {
      POST: method({
        permission: 'allowAny',
        throttles: [{ scope: 'email_request', by: 'ip' }],
        fields: { email: config.ACCOUNT_EMAIL_REQUIRED ? emailField() : emailField({ required: false }) },
        doc: { summary: 'Send the confirmation email again', responses: { 200: { description: 'Accepted.', body: detailBody } } },
        async handle(req) {
          // Without an address there is nobody to send to (allauth would mail the first address in its table).
          if (req.body.email) await emailVerification.resend(req.body.email, req.metadata);
          return { status: 200, body: { detail: 'ok' } };
        },
      }),
    }),
  ];
}
