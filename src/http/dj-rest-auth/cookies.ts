// The dj-rest-auth surface's JWT cookies (dj_rest_auth/jwt_auth.py set_jwt_*_cookie, unset_jwt_cookies), written
// exactly as Django's HttpResponse.set_cookie / delete_cookie write them: attributes in the order Python's Morsel
// sorts them (expires, HttpOnly, Max-Age, Path, SameSite, Secure), no Domain, `expires` = now + Max-Age.
import type { Config } from '../../config.js';

/** Django's http_date: `Tue, 01 Dec 2026 20:07:36 GMT`. */
const httpDate = (date: Date): string => date.toUTCString();

export interface CookieOptions {
  readonly maxAgeSeconds: number;
  readonly path: string;
  readonly httpOnly: boolean;
  readonly secure: boolean;
  readonly sameSite: 'Lax' | 'Strict' | 'None';
}

export function setCookie(name: string, value: string, options: CookieOptions, now: Date): string {
  const expires = new Date(Math.floor(now.getTime() / 1000) * 1000 + options.maxAgeSeconds * 1000);
  return [
    `${name}=${value}`,
    `expires=${httpDate(expires)}`,
    ...(options.httpOnly ? ['HttpOnly'] : []),
    `Max-Age=${options.maxAgeSeconds}`,
    `Path=${options.path}`,
    `SameSite=${options.sameSite}`,
    ...(options.secure ? ['Secure'] : []),
  ].join('; ');
}

/** delete_cookie: no HttpOnly, and Secure only where SameSite=None requires it (JWT_AUTH_SECURE is not applied). */
export function deleteCookie(name: string, path: string, sameSite: CookieOptions['sameSite']): string {
  return [`${name}=""`, 'expires=Thu, 01 Jan 1970 00:00:00 GMT', 'Max-Age=0', `Path=${path}`, `SameSite=${sameSite}`]
    .concat(sameSite === 'None' ? ['Secure'] : [])
    .join('; ');
}

/** The JWT cookies of these settings: what login/, token/refresh/ and logout/ set and delete. */
export function jwtCookies(config: Config) {
  const access = config.REST_AUTH_JWT_AUTH_COOKIE;
  const refresh = config.REST_AUTH_JWT_AUTH_REFRESH_COOKIE;
  const base = {
    httpOnly: config.REST_AUTH_JWT_AUTH_HTTPONLY,
    secure: config.REST_AUTH_JWT_AUTH_SECURE,
    sameSite: config.REST_AUTH_JWT_AUTH_SAMESITE,
  };
  const refreshPath = config.REST_AUTH_JWT_AUTH_REFRESH_COOKIE_PATH;
  return {
    accessName: access,
    refreshName: refresh,
    /** Set-Cookie values for a new access token (and refresh token, when given and a refresh cookie is named). */
    set(tokens: { access: string; refresh?: string }, now: Date): string[] {
      return [
        ...(access ? [setCookie(access, tokens.access, { ...base, path: '/', maxAgeSeconds: config.ACCESS_TOKEN_LIFETIME }, now)] : []),
        ...(refresh && tokens.refresh !== undefined
          ? [setCookie(refresh, tokens.refresh, { ...base, path: refreshPath, maxAgeSeconds: config.REFRESH_TOKEN_LIFETIME }, now)]
          : []),
      ];
    },
    /** Set-Cookie values that delete both, in that order. */
    unset(): string[] {
      return [
        ...(access ? [deleteCookie(access, '/', base.sameSite)] : []),
        ...(refresh ? [deleteCookie(refresh, refreshPath, base.sameSite)] : []),
      ];
    },
  };
}

export type JwtCookies = ReturnType<typeof jwtCookies>;

/** A Reply's headers with these Set-Cookie values (none: no header). */
export const withCookies = (cookies: readonly string[]): { headers?: Record<string, readonly string[]> } =>
  cookies.length ? { headers: { 'Set-Cookie': cookies } } : {};
