// How domain errors read on the dj-rest-auth surface (dj-rest-auth 4.0.1, allauth 0.51, simplejwt 5.2 messages;
// allauth spells "e-mail" with a hyphen).
import { ApiError, detail, djoserErrors, type ErrorTable } from '../errors.js';
import { BEARER_REALM } from './authenticate.js';

export const djRestAuthMessages = {
  invalidCredentials: 'Unable to log in with provided credentials.',
  emailNotVerified: 'E-mail is not verified.',
  usernameTaken: 'A user with that username already exists.',
  emailTaken: 'A user is already registered with this e-mail address.',
  confusable: 'A user with a confusably similar username already exists.',
  oldPassword: 'Your old password was entered incorrectly. Please enter it again.',
  invalidValue: 'Invalid value',
  /** Registration (ASCII apostrophe). */
  registrationMismatch: "The two password fields didn't match.",
  /** Django's SetPasswordForm (U+2019). */
  setPasswordMismatch: 'The two password fields didn’t match.',
  usernameBlacklisted: 'Username can not be used. Please use other username.',
  loggedOut: 'Successfully logged out.',
} as const;

const nfe = (message: string) => new ApiError(400, { non_field_errors: [message] });

/** Every endpoint of the surface but simplejwt's two. */
export const djRestAuthErrors: ErrorTable = {
  ...djoserErrors,
  invalid_credentials: () => nfe(djRestAuthMessages.invalidCredentials),
  email_not_verified: () => nfe(djRestAuthMessages.emailNotVerified),
  invalid_password: () => new ApiError(400, { old_password: [djRestAuthMessages.oldPassword] }),
  // A non-UUID uid on a UUID model escapes allauth's except clause as Django's ValidationError.
  invalid_uid: (e) => (e.details.message ? nfe(e.details.message) : new ApiError(400, { uid: [djRestAuthMessages.invalidValue] })),
  invalid_token: () => new ApiError(400, { token: [djRestAuthMessages.invalidValue] }),
  taken: (e) =>
    new ApiError(
      400,
      Object.fromEntries(
        (e.details.fields ?? []).map((f) => [
          f,
          [
            f === 'email'
              ? djRestAuthMessages.emailTaken
              : e.details.confusable
                ? djRestAuthMessages.confusable
                : djRestAuthMessages.usernameTaken,
          ],
        ]),
      ),
    ),
  not_found: () => detail(404, 'Not found.'),
  token_not_valid: (e) =>
    new ApiError(401, { detail: e.details.message ?? 'Token is invalid or expired', code: 'token_not_valid' }, BEARER_REALM),
  no_active_account: () =>
    new ApiError(401, { detail: 'No active account found for the given token.', code: 'no_active_account' }, BEARER_REALM),
};
