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
import { NameTakenError } from '../../commands/reservations.js';
import { requirePrincipal } from '../authenticate.js';

export interface UsersRouteDeps {
  readonly config: Config;
  readonly accounts: AccountService;
  readonly readModel: ReadModel;
}

/** djoser's UserSerializer: REQUIRED_FIELDS + USER_ID_FIELD + LOGIN_FIELD. */
const present = (user: UserDoc | Account) => ({ email: user.email, id: user.id, username: user.username });

export function usersRouter({ config, accounts, readModel }: UsersRouteDeps): Router {
  const router = Router({ strict: true, caseSensitive: true });
  const password = () => charField();
  const newPasswordErrors = (value: string, user: { username?: string; email?: string }) => {
    const problems = validatePassword(value, user);
    if (problems.length) throw new ApiError(400, { new_password: problems });
  };
  // djoser's shared lookup honours either flag, for resets and resend_activation alike.
  const showEmailNotFound = config.PASSWORD_RESET_SHOW_EMAIL_NOT_FOUND || config.USERNAME_RESET_SHOW_EMAIL_NOT_FOUND;
  // A name claimed by someone else between the unique check and the write (DRF would hit the unique constraint).
  const newUsernameTaken = async (write: () => Promise<void>) => {
    try {
      await write();
    } catch (error) {
      if (error instanceof NameTakenError) throw new ApiError(400, { new_username: [messages.usernameTaken] });
      throw error;
    }
  };
  const retype = (enabled: boolean, a: string | undefined, b: string | undefined, message: string) => {
    if (enabled && a !== b) throw new ApiError(400, { non_field_errors: [message] });
  };

  router.post('/users/', async (req, res) => {
    const fields = {
      // EMAIL_UNIQUE stands for a custom User whose email is `EmailField(unique=True)`: required, not blank.
      email: config.EMAIL_UNIQUE ? emailField() : emailField({ required: false, allowBlank: true }),
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
    if (Object.keys(errors).length) throw new ApiError(400, inFieldOrder(Object.keys(fields), errors));
    // Django's create_user stores the NFKC form (the validators above saw the name as given).
    const username = data.username!.normalize('NFKC');
    const email = normalizeEmail(data.email ?? '');
    const problems = validatePassword(data.password!, { username: data.username!, email });
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
    // PUT requires what the model requires: with EMAIL_UNIQUE that is the email (djoser's UserSerializer); PATCH is partial.
    const email = config.EMAIL_UNIQUE ? emailField({ required: req.method === 'PUT' }) : emailField({ required: false, allowBlank: true });
    const body = parseBody({ email }, req.body);
    // DRF's ModelSerializer.update stores the value as validated: no normalize_email here (unlike create_user).
    const account = await accounts.updateProfile(user.id, body.email === undefined ? {} : { email: body.email });
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
    await newUsernameTaken(() => accounts.setUsername(user.id, data.current_password, data.new_username, async (_account, passwordOk) => {
      const fieldErrors: FieldErrors = {};
      if (data.current_password !== undefined && !passwordOk) fieldErrors.current_password = [messages.invalidPassword];
      // As DRF's UniqueValidator: any existing user, yourself included.
      if (data.new_username !== undefined && (await readModel.findUserByUsername(usernameKey(data.new_username)))) {
        fieldErrors.new_username = [messages.usernameTaken];
      }
      const all = inFieldOrder(['current_password', 'new_username', 're_new_username'], errors, fieldErrors);
      if (Object.keys(all).length) throw new ApiError(400, all);
      retype(retyped, data.new_username, (data as { re_new_username?: string }).re_new_username, messages.usernameMismatch);
    }));
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
    const order = ['new_username', 're_new_username'];
    const { data, errors } = parseFields({ new_username: usernameField(), ...(retyped ? { re_new_username: charField() } : {}) }, req.body);
    if (data.new_username !== undefined && (await readModel.findUserByUsername(usernameKey(data.new_username)))) {
      (errors.new_username ??= []).push(messages.usernameTaken);
    }
    if (Object.keys(errors).length) throw new ApiError(400, inFieldOrder(order, errors));
    retype(retyped, data.new_username, (data as { re_new_username?: string }).re_new_username, messages.usernameMismatch);
    // djoser's ModelSerializer drops uid and token as declared fields: they are read raw from the body, so a missing
    // or non-string value is never "required", just an invalid uid (or token).
    const raw = req.body as Record<string, unknown> | undefined;
    const uid = typeof raw?.uid === 'string' ? raw.uid : '';
    const token = typeof raw?.token === 'string' ? raw.token : '';
    await newUsernameTaken(() => accounts.resetUsername(uid, token, data.new_username!));
    res.status(204).end();
  });

  return router;
}
