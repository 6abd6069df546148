// Helpers for the dj-rest-auth surface's tests: requests under the prefix, cookies, the emailed keys and links.
import assert from 'node:assert/strict';
import type { TestService } from '../../support/service.js';
import type { ReceivedMail } from '../../support/smtp.js';
import { mailText } from './replay.js';
import { unique } from '../helpers.js';

export const PREFIX = '/dj-rest-auth';
export const PASSWORD = 'correct-Horse-7';
export const NEW_PASSWORD = 'battery-Staple-8';

/** The environment every suite starts from: the surface mounted, the recorder's site, no throttles or cooldown. */
export const BASE_ENV = {
  DJ_REST_AUTH_PREFIX: '/dj-rest-auth/',
  DOMAIN: 'localhost:8000',
  SITE_NAME: 'example.com',
  ACCOUNT_EMAIL_REQUIRED: 'true',
  DEFAULT_THROTTLE_RATES: 'login:none,login_account:none,register:none,email_request:none,confirm:none',
  EMAIL_REQUEST_WINDOW: '0',
};

export interface Answer {
  readonly status: number;
  readonly body: any;
  readonly headers: Headers;
  readonly cookies: string[];
}

/** A request to the surface (paths relative to the prefix); `cookies` go in a Cookie header. */
export async function dra(
  svc: TestService,
  method: string,
  path: string,
  body?: unknown,
  options: { headers?: Record<string, string>; cookies?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers };
  if (options.cookies)
    headers.cookie = Object.entries(options.cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  const res = await fetch(`${svc.url}${path.startsWith('/') ? path : `${PREFIX}/${path}`}`, {
    method,
    headers,
    redirect: 'manual',
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text === '' ? null : text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers, cookies: res.headers.getSetCookie() };
}

/** A Set-Cookie value's name, value and attributes (names lower-cased; flags are true). */
export function parseSetCookie(header: string): { name: string; value: string; attrs: Record<string, string | true> } {
  const [pair, ...rest] = header.split('; ');
  const eq = pair!.indexOf('=');
  const attrs: Record<string, string | true> = {};
  for (const part of rest) {
    const i = part.indexOf('=');
    if (i < 0) attrs[part.toLowerCase()] = true;
    else attrs[part.slice(0, i).toLowerCase()] = part.slice(i + 1);
  }
  return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attrs };
}

/** The cookie of this name an answer sets. */
export function cookie(answer: Answer, name: string) {
  const found = answer.cookies.map(parseSetCookie).find((c) => c.name === name);
  assert.ok(found, `no ${name} cookie in ${JSON.stringify(answer.cookies)}`);
  return found;
}

export interface NewUser {
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

export const newUser = (prefix = 'u'): NewUser => {
  const username = unique(prefix);
  return { username, email: `${username}@example.com`, password: PASSWORD };
};

/** POST registration/ and assert the status. */
export async function signUp(svc: TestService, user: NewUser, status = 204): Promise<Answer> {
  const res = await dra(svc, 'POST', 'registration/', {
    username: user.username,
    email: user.email,
    password1: user.password,
    password2: user.password,
  });
  assert.equal(res.status, status, JSON.stringify(res.body));
  return res;
}

/** Waits for the n-th mail to the address with this subject. */
export async function mailTo(svc: TestService, address: string, subject: string, n = 1): Promise<ReceivedMail> {
  const found = await svc.smtp.waitFor(n, (m) => m.to.includes(address.toLowerCase()) && m.subject === subject);
  return found[n - 1]!;
}

export const CONFIRM_SUBJECT = '[example.com] Please Confirm Your E-mail Address';
export const RESET_SUBJECT = '[example.com] Password Reset E-mail';

/** The key in a confirmation mail's link. */
export const keyIn = (mail: ReceivedMail): string => /account-confirm-email\/([-:\w]+)\//.exec(mailText(mail))![1]!;

/** uid and token in a reset mail's link (REST_AUTH_PASSWORD_RESET_CONFIRM_URL's default shape). */
export function resetLinkIn(mail: ReceivedMail): { link: string; uid: string; token: string } {
  const match = /(https?:\/\/\S+\/password-reset\/confirm\/([0-9a-z]+)\/([0-9a-z]+-[0-9a-f]+)\/)/.exec(mailText(mail));
  assert.ok(match, mailText(mail));
  return { link: match[1]!, uid: match[2]!, token: match[3]! };
}

export const auth = (key: string) => ({ headers: { Authorization: `Token ${key}` } });
export const bearer = (access: string) => ({ headers: { Authorization: `Bearer ${access}` } });
