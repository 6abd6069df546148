// DRF's error shapes, and the one place domain errors become HTTP responses.
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../log.js';
import { UserRuleError } from '../commands/user.decider.js';
import { NameTakenError } from '../commands/reservations.js';
import { InvalidCredentialsError, InvalidPasswordError, InvalidUidError } from '../commands/accounts.js';
import { ReadYourWritesTimeout } from '../projections/runner.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
    this.name = 'ApiError';
  }
}

export const detail = (status: number, message: string, headers?: Record<string, string>) =>
  new ApiError(status, { detail: message }, headers);

/** djoser's messages (djoser/constants.py) and Django's model messages. */
export const messages = {
  invalidCredentials: 'Unable to log in with provided credentials.',
  invalidToken: 'Invalid token for given user.',
  invalidUid: "Invalid user id or user doesn't exist.",
  staleToken: 'Stale token for given user.',
  passwordMismatch: "The two password fields didn't match.",
  usernameMismatch: "The two username fields didn't match.",
  invalidPassword: 'Invalid password.',
  emailNotFound: 'User with given email does not exist.',
  cannotCreateUser: 'Unable to create account.',
  usernameTaken: 'A user with that username already exists.',
  emailTaken: 'user with this email address already exists.',
} as const;

/** Maps what the use cases throw; anything unknown is a 500 with a generic body, logged. */
export function toApiError(error: unknown, context: { usernameField?: string } = {}): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof NameTakenError) {
    return error.field === 'username'
      ? new ApiError(400, { [context.usernameField ?? 'username']: [messages.usernameTaken] })
      : new ApiError(400, { email: [messages.emailTaken] });
  }
  if (error instanceof InvalidCredentialsError) return new ApiError(400, { non_field_errors: [messages.invalidCredentials] });
  if (error instanceof InvalidPasswordError) return new ApiError(400, { current_password: [messages.invalidPassword] });
  if (error instanceof InvalidUidError) return new ApiError(400, { uid: [messages.invalidUid] });
  if (error instanceof ReadYourWritesTimeout) {
    return new ApiError(503, { detail: 'The write was saved but is not visible yet; try the request again shortly.' }, { 'Retry-After': '1' });
  }
  if (error instanceof UserRuleError) {
    switch (error.code) {
      case 'invalid_token':
        return new ApiError(400, { token: [messages.invalidToken] });
      case 'stale_token':
        return detail(403, messages.staleToken);
      case 'already_exists':
        return new ApiError(400, { non_field_errors: [messages.cannotCreateUser] });
      case 'not_found':
        return detail(404, 'Not found.');
      case 'inactive':
      case 'unusable_password':
        return new ApiError(400, { non_field_errors: [messages.invalidCredentials] });
    }
  }
  return null;
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    // express.json()'s own errors: malformed JSON, too large, bad charset.
    const status = typeof error?.status === 'number' ? (error.status as number) : 0;
    if (error?.type === 'entity.parse.failed') return void res.status(400).json({ detail: `JSON parse error - ${error.message}` });
    if (error?.type === 'entity.too.large') return void res.status(413).json({ detail: 'Request body too large.' });
    if (status === 415 || error?.type === 'charset.unsupported' || error?.type === 'encoding.unsupported') {
      return void res.status(415).json({ detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.` });
    }
    if (status >= 400 && status < 500 && error?.expose) return void res.status(status).json({ detail: String(error.message) });
    const mapped = toApiError(error);
    if (mapped) return void res.status(mapped.status).set(mapped.headers).json(mapped.body);
    log.error('unhandled error', { method: req.method, path: req.path, error: String(error?.stack ?? error) });
    res.status(500).json({ detail: 'A server error occurred.' });
  };
}
