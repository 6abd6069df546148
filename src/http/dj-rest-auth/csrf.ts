// CSRF protection for cookie-authenticated requests, as dj-rest-auth runs Django 3.2's CsrfViewMiddleware by hand
// (JWTCookieAuthentication.enforce_csrf): the `csrftoken` cookie and the `X-CSRFToken` header (double submit) must
// unmask to the same secret; over HTTPS the Referer must be this host, over https. Safe methods always pass.
// Failure is DRF's 403 `CSRF Failed: <Django's reason>`.
import { randomInt, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { detail, type ApiError } from '../errors.js';

/** Django's CSRF_COOKIE_NAME and CSRF_HEADER_NAME. */
export const CSRF_COOKIE = 'csrftoken';
const CSRF_HEADER = 'x-csrftoken';
/** Django's CSRF_COOKIE_AGE: a year. */
export const CSRF_COOKIE_AGE = 31_449_600;

const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_LENGTH = 32;
const TOKEN_LENGTH = 64;
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

const randomChars = (n: number) => Array.from({ length: n }, () => CHARS[randomInt(CHARS.length)]).join('');

/** Django's _mask_cipher_secret: a random salt, then the secret shifted by it. */
function mask(secret: string): string {
  const salt = randomChars(SECRET_LENGTH);
  const cipher = [...secret].map((c, i) => CHARS[(CHARS.indexOf(c) + CHARS.indexOf(salt[i]!)) % CHARS.length]).join('');
  return salt + cipher;
}

/** Django's _unmask_cipher_token. */
function unmask(token: string): string {
  const salt = token.slice(0, SECRET_LENGTH);
  return [...token.slice(SECRET_LENGTH)]
    .map((c, i) => CHARS[(CHARS.indexOf(c) - CHARS.indexOf(salt[i]!) + CHARS.length) % CHARS.length])
    .join('');
}

/** Django's _get_new_csrf_token: what a csrftoken cookie holds. */
export const newCsrfToken = (): string => mask(randomChars(SECRET_LENGTH));

/** Django's _sanitize_token: a 64-char token as it is, a 32-char secret masked, anything else a fresh token. */
function sanitize(token: string): string {
  if (/[^a-zA-Z0-9]/.test(token)) return newCsrfToken();
  if (token.length === TOKEN_LENGTH) return token;
  if (token.length === SECRET_LENGTH) return mask(token);
  return newCsrfToken();
}

const failed = (reason: string): ApiError => detail(403, `CSRF Failed: ${reason}`);

/** Django's reason for refusing this request, or null when it passes. */
export function csrfFailure(req: Request, cookies: Readonly<Record<string, string>>): string | null {
  if (SAFE.has(req.method)) return null;
  if (req.protocol === 'https') {
    const referer = req.get('referer');
    if (!referer) return 'Referer checking failed - no Referer.';
    let url: URL;
    try {
      url = new URL(referer);
    } catch {
      return 'Referer checking failed - Referer is malformed.';
    }
    if (url.protocol !== 'https:') return 'Referer checking failed - Referer is insecure while host is secure.';
    if (url.host !== req.get('host')) return `Referer checking failed - ${referer} does not match any trusted origins.`;
  }
  const cookie = cookies[CSRF_COOKIE];
  if (cookie === undefined) return 'CSRF cookie not set.';
  const header = req.get(CSRF_HEADER) ?? '';
  const expected = Buffer.from(unmask(sanitize(cookie)));
  const given = Buffer.from(unmask(sanitize(header)));
  return expected.length === given.length && timingSafeEqual(expected, given) ? null : 'CSRF token missing or incorrect.';
}

/** Throws DRF's 403 when the request fails the check. */
export function enforceCsrf(req: Request, cookies: Readonly<Record<string, string>>): void {
  const reason = csrfFailure(req, cookies);
  if (reason) throw failed(reason);
}
