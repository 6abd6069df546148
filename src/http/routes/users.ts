// djoser's UserViewSet: users/, activation, resend_activation, me, and the password and username actions.
import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config.js';
import type { AccountService } from '../../commands/accounts.js';
import type { ReadModel, UserDoc } from '../../readmodel/port.js';
import type { Account } from '../../commands/user.decider.js';
import { emailKey, normalizeEmail, usernameKey } from '../../commands/normalize.js';
import { validatePassword } from '../../auth/password-validators.js';
import { charField, emailField, inFieldOrder, parseBody, parseFields, usernameField, type FieldErrors } from '../fields.js';
import { ApiError, messages } from '../errors.js';
import { requirePrincipal } from '../authenticate.js';

export interface UsersRouteDeps {
  readonly config: Config;
  readonly accounts: AccountService;
  readonly readModel: ReadModel;
}

/** djoser's UserSerializer: REQUIRED_FIELDS + USER_ID_FIELD + LOGIN_FIELD. */
const present = (user: UserDoc | Account) => ({ email: user.email, id: user.id, username: user.username });

export function usersRouter({ config, accounts, readModel }: UsersRouteDeps): Router {
  const router = Router();
  const password = () => charField();
  const newPasswordErrors = (value: string, user: { username?: string; email?: string }) => {
    const problems = validatePassword(value, user);
    if (problems.length) throw new ApiError(400, { new_password: problems });
  };
  // djoser's shared lookup honours either flag, for resets and resend_activation alike.
  const showEmailNotFound = config.PASSWORD_RESET_SHOW_EMAIL_NOT_FOUND || config.USERNAME_RESET_SHOW_EMAIL_NOT_FOUND;
  const retype = (enabled: boolean, a: string | undefined, b: string | undefined, message: string) => {
    if (enabled && a !== b) throw new ApiError(400, { non_field_errors: [message] });
  };

  router.post('/users/', async (req, res) => {
    const fields = {
      email: emailField({ required: false, allowBlank: true }),
      username: usernameField(),
      password: password(),
      ...(config.USER_CREATE_PASSWORD_RETYPE ? { re_password: password() } : {}),
    };
    const { data, errors } = parseFields(fields, req.body);
    // DRF's UniqueValidator runs with the other field validators; the reservation below is what enforces it.
    if (data.username !== undefined && (await readModel.findUserByUsername(usernameKey(data.username)))) {
      (errors.username ??= []).push(messages.usernameTaken);
    }
    if (config.EMAIL_UNIQUE && data.email && (await readModel.findUsersByEmail(emailKey(data.email))).length) {
      (errors.email ??= []).push(messages.emailTaken);
    }
    if (config.EMAIL_UNIQUE && data.email === undefined) (errors.email ??= []).push('This field is required.');
    if (Object.keys(errors).length) throw new ApiError(400, errors);
    const username = data.username!;
    const email = normalizeEmail(data.email ?? '');
    const problems = validatePassword(data.password!, { username, email });
    if (problems.length) throw new ApiError(400, { password: problems });
    retype(config.USER_CREATE_PASSWORD_RETYPE, data.password, (data as { re_password?: string }).re_password, messages.passwordMismatch);
    const account = await accounts.register({ username, email, password: data.password! });
    res.status(201).json({ email: account.email, username: account.username, id: account.id });
  });

  router.post('/users/activation/', async (req, res) => {
    const { uid, token } = parseBody({ uid: charField(), token: charField() }, req.body);
    await accounts.activate(uid!, token!);
    res.status(204).end();
  });

  router.post('/users/resend_activation/', async (req, res) => {
    const { email } = parseBody({ email: emailField() }, req.body);
    const found = await accounts.resendActivation(email!);
    if (found === 0 && showEmailNotFound) throw new ApiError(400, [messages.emailNotFound]);
    if (!config.SEND_ACTIVATION_EMAIL) return void res.status(400).end();
    res.status(204).end();
  });

  router.get('/users/me/', (_req, res) => {
    res.json(present(requirePrincipal(res).user));
  });

  const updateMe = async (req: Request, res: Response) => {
    const { user } = requirePrincipal(res);
    const { email } = parseBody({ email: emailField({ required: false, allowBlank: true }) }, req.body);
    const account = await accounts.updateProfile(user.id, email === undefined ? {} : { email: normalizeEmail(email) });
    res.json(present(account));
  };
  router.put('/users/me/', updateMe);
  router.patch('/users/me/', updateMe);

  router.delete('/users/me/', async (req, res) => {
    const { user } = requirePrincipal(res);
    const { current_password } = parseBody({ current_password: password() }, req.body);
    await accounts.deleteAccount(user.id, current_password!);
    res.status(204).end();
  });

  router.post('/users/set_password/', async (req, res) => {
    const { user } = requirePrincipal(res);
    const retyped = config.SET_PASSWORD_RETYPE;
    const { data, errors } = parseFields(
      { new_password: password(), ...(retyped ? { re_new_password: password() } : {}), current_password: password() },
      req.body,
    );
    // djoser checks the current password as a field, so its error comes with the other field errors.
    await accounts.setPassword(user.id, data.current_password, data.new_password, (account, passwordOk) => {
      if (data.current_password !== undefined && !passwordOk) errors.current_password = [messages.invalidPassword];
      if (Object.keys(errors).length) throw new ApiError(400, errors);
      newPasswordErrors(data.new_password!, account);
      retype(retyped, data.new_password, (data as { re_new_password?: string }).re_new_password, messages.passwordMismatch);
    });
    res.status(204).end();
  });

  router.post('/users/reset_password/', async (req, res) => {
    const { email } = parseBody({ email: emailField() }, req.body);
    const found = await accounts.requestPasswordReset(email!);
    if (found === 0 && showEmailNotFound) throw new ApiError(400, [messages.emailNotFound]);
    res.status(204).end();
  });

  router.post('/users/reset_password_confirm/', async (req, res) => {
    const retyped = config.PASSWORD_RESET_CONFIRM_RETYPE;
    const body = parseBody(
      { uid: charField(), token: charField(), new_password: password(), ...(retyped ? { re_new_password: password() } : {}) },
      req.body,
    );
    newPasswordErrors(body.new_password!, {});
    retype(retyped, body.new_password, (body as { re_new_password?: string }).re_new_password, messages.passwordMismatch);
    await accounts.resetPassword(body.uid!, body.token!, body.new_password!);
    res.status(204).end();
  });

  router.post('/users/set_username/', async (req, res) => {
    const { user } = requirePrincipal(res);
    const retyped = config.SET_USERNAME_RETYPE;
    const { data, errors } = parseFields(
      { current_password: password(), new_username: usernameField(), ...(retyped ? { re_new_username: charField() } : {}) },
      req.body,
    );
    await accounts.setUsername(user.id, data.current_password, data.new_username, async (_account, passwordOk) => {
      const fieldErrors: FieldErrors = {};
      if (data.current_password !== undefined && !passwordOk) fieldErrors.current_password = [messages.invalidPassword];
      // As DRF's UniqueValidator: any existing user, yourself included.
      if (data.new_username !== undefined && (await readModel.findUserByUsername(usernameKey(data.new_username)))) {
        fieldErrors.new_username = [messages.usernameTaken];
      }
      const all = inFieldOrder(['current_password', 'new_username', 're_new_username'], errors, fieldErrors);
      if (Object.keys(all).length) throw new ApiError(400, all);
      retype(retyped, data.new_username, (data as { re_new_username?: string }).re_new_username, messages.usernameMismatch);
    });
    res.status(204).end();
  });

  router.post('/users/reset_username/', async (req, res) => {
    const { email } = parseBody({ email: emailField() }, req.body);
    const found = await accounts.requestUsernameReset(email!);
    if (found === 0 && showEmailNotFound) throw new ApiError(400, [messages.emailNotFound]);
    res.status(204).end();
  });

  router.post('/users/reset_username_confirm/', async (req, res) => {
    const retyped = config.USERNAME_RESET_CONFIRM_RETYPE;
    const body = parseBody(
      { uid: charField(), token: charField(), new_username: usernameField(), ...(retyped ? { re_new_username: charField() } : {}) },
      req.body,
    );
    retype(retyped, body.new_username, (body as { re_new_username?: string }).re_new_username, messages.usernameMismatch);
    await accounts.resetUsername(body.uid!, body.token!, body.new_username!);
    res.status(204).end();
  });

  return router;
}
