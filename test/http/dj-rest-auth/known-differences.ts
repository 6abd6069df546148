// Where authstream answers a recorded exchange otherwise, on purpose: `group :: exchange name` → why. The replay
// test checks that each of these still differs (so a fix in either direction shows) and that nothing else does.
const VERIFICATION_GROUPS = ['token-nosession-optional', 'token-nosession-mandatory', 'token-mandatory-nohmac'];
const each = (groups: readonly string[], name: string, why: string) => Object.fromEntries(groups.map((g) => [`${g} :: ${name}`, why]));

export const KNOWN_DIFFERENCES: Record<string, string> = {
  // The pipeline
  'token-default :: pipeline: OPTIONS login/': "OPTIONS answers 200 {} (with Allow), not DRF's metadata body",
  'token-default :: pipeline: malformed JSON -> 400': "the JSON parse error's text is the JavaScript parser's, not Python's",
  'token-default :: pipeline: unknown path -> Django HTML 404':
    'an unknown path is a JSON 404 {"detail": "Not found."}, not Django\'s HTML page',
  ...each(VERIFICATION_GROUPS, 'verify-email: GET -> 405', 'Allow lists "POST, OPTIONS" (dj-rest-auth\'s own allowed_methods add HEAD)'),
  // Placeholder views: dj-rest-auth answers 500 (and 403 from Django's CSRF middleware)
  ...each(
    VERIFICATION_GROUPS,
    'account-confirm-email/<key>/: GET (empty TemplateView)',
    "the emailed link's path is a JSON 404, not a 500: the frontend serves that page",
  ),
  ...each(VERIFICATION_GROUPS, 'account-confirm-email/<key>/: POST', "a JSON 404 (the page is the frontend's), not Django's CSRF 403"),
  ...each(VERIFICATION_GROUPS, 'account-email-verification-sent/: GET', 'a JSON 404, not a 500'),
  // Emails
  'token-default :: password/reset: known email in other case (mailed to the address as typed)':
    'the reset email goes to the address the account has, not to the spelling typed in the request',
  'token-default :: password/reset over https: link scheme follows the request':
    "links are PROTOCOL://DOMAIN/… (built after the request, like the djoser surface's), not the request's scheme and host",
  'token-options :: password/reset (PASSWORD_RESET_USE_SITES_DOMAIN): link uses Site.domain':
    'PASSWORD_RESET_USE_SITES_DOMAIN has no setting: links always use DOMAIN',
  ...each(
    VERIFICATION_GROUPS,
    'resend-email: registered address, different case -> 200, no email (exact match)',
    'resend-email finds the address case-insensitively, as every lookup of the djoser surface does',
  ),
  'token-nosession-mandatory :: resend-email: user without EmailAddress row -> 200, no email':
    'an account with an unverified address is sent a key whatever surface made it (allauth only mails addresses it has a row for)',
  // Confirmation keys are always HMAC-shaped and single use (no ACCOUNT_EMAIL_CONFIRMATION_HMAC=False database keys)
  'token-mandatory-nohmac :: registration: success': 'the key is HMAC-shaped, not a 64-character database key',
  'token-mandatory-nohmac :: resend-email: registered address as stored -> 200 + email':
    'the key is HMAC-shaped, not a 64-character database key',
  'token-mandatory-nohmac :: resend-email: again at once (no cooldown)': 'the key is HMAC-shaped, not a 64-character database key',
  'token-mandatory-nohmac :: verify-email: same key again':
    'keys are single use: a used key is a 404 (database keys are reusable in allauth)',
  'token-mandatory-nohmac :: verify-email: the resent key after verification':
    'once the address is verified every key sent for it is dead (404)',
  'token-mandatory-nohmac :: verify-email: key in upper case': 'keys are case-sensitive (an HMAC): upper-cased, a 404',
  // Sessions and tokens: authstream's safer rules
  'token-options :: password/change (LOGOUT_ON_PASSWORD_CHANGE): token still valid':
    'REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE deletes the DRF token and ends every JWT session (dj-rest-auth: sessions only)',
  'token-options :: logout: GET with ACCOUNT_LOGOUT_ON_GET':
    'the DRF token was deleted by the password change before (LOGOUT_ON_PASSWORD_CHANGE): 401',
  'jwt-cookie-blacklist :: jwt logout: access token as refresh':
    'an access token where the refresh token belongs is a 401 "Token has wrong type", not a 500',
  'jwt-cookie-blacklist :: jwt logout: refresh only in cookie -> 401, cookies still cleared':
    'an unsafe request the access cookie authenticates needs CSRF even without JWT_AUTH_COOKIE_USE_CSRF (403); with it, the refresh cookie is blacklisted too',
  'jwt-cookie-blacklist :: jwt password/change with the access cookie (no CSRF setting)':
    'an unsafe request the access cookie authenticates needs CSRF even without JWT_AUTH_COOKIE_USE_CSRF (403)',
  'jwt-cookie-blacklist :: token/verify: blacklisted refresh (BLACKLIST_AFTER_ROTATION False)': 'a blacklisted token does not verify (401)',
  'jwt-cookie-blacklist :: jwt: access token still valid after logout':
    "blacklisting the refresh token ends its session: the session's access tokens stop working",
  'jwt-rotate :: rotate: logout with the new refresh':
    'reusing a rotated-out refresh token (BLACKLIST_AFTER_ROTATION) revoked the whole session, the new refresh token included',
  // The recording
  'token-default :: logout: login again issues a new key':
    "the recording's password was set back to correct-Horse-7 outside HTTP after the reset section; replayed as recorded, the password is the reset one",
};

/** Groups not replayed at all. */
export const SKIPPED_GROUPS: Record<string, string> = {
  'token-session-first': 'Django sessions (SessionAuthentication listed first): authstream has no sessions',
};
