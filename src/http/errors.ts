// DRF's error shapes, and the one place domain errors become HTTP responses: a table per endpoint family (djoser's
// users/ actions, DRF authtoken, simplejwt), each falling back on the table every family shares.
import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../log.js';
import { requestLogger } from './access-log.js';
import { DomainError, type DomainErrorCode, type UniqueField } from '../commands/decider.js';
import { ReadYourWritesTimeout } from '../projections/runner.js';
import { HashingBusyError } from '../crypto/passwords.js';
import { ThrottledError } from '../throttle.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
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
  notAuthenticated: 'Authentication credentials were not provided.',
} as const;

/**
 * Names of fields in an endpoint's error bodies, and the email field's verbose name in Django's unique message
 * ("email address" on Django's user, "email" on a custom email user model).
 */
export type FieldNames = Readonly<Partial<Record<UniqueField | 'current_password', string>> & { emailLabel?: string }>;
export type ErrorTable = { readonly [C in DomainErrorCode]?: (error: DomainError, names: FieldNames) => ApiError };

const takenMessage = (field: UniqueField, names: FieldNames, confusable: boolean): string => {
  if (field === 'email') return `user with this ${names.emailLabel ?? 'email address'} already exists.`;
  return confusable ? 'A user with a confusably similar username already exists.' : messages.usernameTaken;
};

/** What every family answers alike. */
const shared: ErrorTable = {
  taken: (e, names) =>
    new ApiError(
      400,
      Object.fromEntries((e.details.fields ?? []).map((f) => [names[f] ?? f, [takenMessage(f, names, e.details.confusable === true)]])),
    ),
  invalid_password: (_e, names) => new ApiError(400, { [names.current_password ?? 'current_password']: [messages.invalidPassword] }),
  not_found: () => detail(404, 'Not found.'),
  forbidden: () => detail(403, 'You do not have permission to perform this action.'),
  read_model_timeout: () =>
    new ApiError(503, { detail: 'The write was saved but is not visible yet; try the request again shortly.' }, { 'Retry-After': '1' }),
  write_conflict: () =>
    new ApiError(503, { detail: 'The account is being changed by other requests; try again shortly.' }, { 'Retry-After': '1' }),
};

/** djoser's UserViewSet actions. */
export const djoserErrors: ErrorTable = {
  ...shared,
  invalid_credentials: () => new ApiError(400, { non_field_errors: [messages.invalidCredentials] }),
  invalid_uid: () => new ApiError(400, { uid: [messages.invalidUid] }),
  invalid_token: () => new ApiError(400, { token: [messages.invalidToken] }),
  stale_token: () => detail(403, messages.staleToken),
  email_not_found: () => new ApiError(400, [messages.emailNotFound]),
  // djoser 2.3's resend_activation with SEND_ACTIVATION_EMAIL off: a bare 400.
  disabled: () => new ApiError(400, undefined),
};

/** DRF authtoken's token/login/ and token/logout/ as djoser mounts them. */
export const tokenErrors: ErrorTable = djoserErrors;

// simplejwt's views name their own scheme on every 401.
const BEARER = { 'WWW-Authenticate': 'Bearer realm="api"' };

/** simplejwt's TokenObtainPairView, TokenRefreshView, TokenVerifyView. */
export const jwtErrors: ErrorTable = {
  ...shared,
  invalid_credentials: () => detail(401, 'No active account found with the given credentials', BEARER),
  token_not_valid: (e) =>
    new ApiError(401, { detail: e.details.message ?? 'Token is invalid or expired', code: 'token_not_valid' }, BEARER),
  no_active_account: () => new ApiError(401, { detail: 'No active account found for the given token.', code: 'no_active_account' }, BEARER),
};

/** A known failure as this family answers it; null for anything else (a bug, answered 500 and logged). */
export function toApiError(error: unknown, table: ErrorTable, names: FieldNames = {}): ApiError | null {
  if (error instanceof ApiError) return error;
  if (error instanceof ReadYourWritesTimeout) return toApiError(new DomainError('read_model_timeout'), table, names);
  // Every family alike: DRF's Throttled.
  if (error instanceof ThrottledError) {
    const wait = `Expected available in ${error.waitSeconds} second${error.waitSeconds === 1 ? '' : 's'}.`;
    return new ApiError(429, { detail: `Request was throttled. ${wait}` }, { 'Retry-After': String(error.waitSeconds) });
  }
  // Every family alike: the password hashing queue is full (a login, registration, password change…).
  if (error instanceof HashingBusyError) {
    return new ApiError(503, { detail: 'The server is busy; try again shortly.' }, { 'Retry-After': String(error.retryAfterSeconds) });
  }
  if (error instanceof DomainError) return table[error.code]?.(error, names) ?? null;
  return null;
}

/** Whether a response is a DRF field-error body, {"field": ["msg", …]}, that can join others. */
export function isFieldErrors(error: ApiError): error is ApiError & { body: Record<string, string[]> } {
  const body = error.body;
  return (
    error.status === 400 && typeof body === 'object' && body !== null && !Array.isArray(body) && Object.values(body).every(Array.isArray)
  );
}

/** Errors that reach express itself: body parsing, and anything unhandled (500, logged). */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const status = typeof error?.status === 'number' ? (error.status as number) : 0;
    if (error instanceof ApiError) return void res.status(error.status).set(error.headers).json(error.body);
    if (error?.type === 'entity.parse.failed') return void res.status(400).json({ detail: `JSON parse error - ${error.message}` });
    if (error?.type === 'entity.too.large') return void res.status(413).json({ detail: 'Request body too large.' });
    if (status === 415 || error?.type === 'charset.unsupported' || error?.type === 'encoding.unsupported') {
      return void res.status(415).json({ detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.` });
    }
    if (status >= 400 && status < 500 && error?.expose) return void res.status(status).json({ detail: String(error.message) });
    requestLogger(log, req).error('unhandled error', { method: req.method, path: req.path, error: String(error?.stack ?? error) });
    res.status(500).json({ detail: 'A server error occurred.' });
  };
}
