// Shared helpers for the black-box HTTP conformance tests (test/http/*.test.ts). Everything goes through HTTP and
// the capturing SMTP server; nothing here reaches into the service.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestService } from '../support/service.js';
import { linkIn, uidAndToken, type ReceivedMail } from '../support/smtp.js';

export const PASSWORD = 'Xyz-long-pass-99';
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A uid (base64url of the decimal id, as djoser's encode_uid) of an account that does not exist. */
export const UNKNOWN_UID = Buffer.from('987654321').toString('base64url');
export const TOKEN_KEY = /^[0-9a-f]{40}$/;
export const USERNAME_INVALID = 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';
export const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' };

/** Email context every suite uses, so links and subjects are predictable. */
export const SITE = { DOMAIN: 'app.example.com', SITE_NAME: 'Example' };
export const CANNOT_LOG_IN = { non_field_errors: ['Unable to log in with provided credentials.'] };
export const INVALID_TOKEN = { token: ['Invalid token for given user.'] };
export const INVALID_UID = { uid: ["Invalid user id or user doesn't exist."] };
export const TAKEN = 'A user with that username already exists.';

/** A username (and matching email) no other test uses. */
export function unique(prefix = 'u'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export const auth = (token: string) => ({ Authorization: `Token ${token}` });
export const bearer = (access: string) => ({ Authorization: `Bearer ${access}` });

export interface Registered {
  /** As the API shows it: a number (Django's AutoField), or a UUID string with USER_ID_TYPE=uuid. */
  readonly id: number | string;
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

/** POST users/ and assert the 201. */
export async function register(
  svc: TestService,
  input: { username?: string; email?: string; password?: string; extra?: Record<string, unknown> } = {},
): Promise<Registered> {
  const username = input.username ?? unique();
  const email = input.email ?? `${username}@example.com`;
  const password = input.password ?? PASSWORD;
  const res = await svc.call('POST', '/auth/users/', { email, username, password, ...input.extra });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { id: res.body.id, username, email, password };
}

/** POST token/login/ and return the key. */
export async function login(svc: TestService, username: string, password = PASSWORD): Promise<string> {
  const res = await svc.call('POST', '/auth/token/login/', { username, password });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.auth_token as string;
}

/** POST jwt/create/ and return both tokens. */
export async function jwtPair(svc: TestService, username: string, password = PASSWORD): Promise<{ refresh: string; access: string }> {
  const res = await svc.call('POST', '/auth/jwt/create/', { username, password });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** The decoded header and payload of a JWT (no verification: the tests only read the claims). */
export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [header, payload] = token.split('.');
  const json = (part: string | undefined) => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
  return { header: json(header), payload: json(payload) };
}

/** The plain-text part of a mail, with quoted-printable soft breaks and escapes undone. */
export function mailText(mail: ReceivedMail): string {
  const raw = mail.raw.replace(/\r\n/g, '\n');
  const start = raw.search(/^Content-Type: text\/plain/im);
  const part = start < 0 ? raw : raw.slice(start);
  const body = part.slice(part.indexOf('\n\n') + 2).split(/\n--/)[0]!;
  const qp = /Content-Transfer-Encoding: quoted-printable/i.test(part.slice(0, part.indexOf('\n\n')));
  const decoded = qp
    ? Buffer.from(
        body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
        'latin1',
      ).toString('utf8')
    : body;
  return decoded.trim();
}

export const mailsTo = (svc: TestService, address: string) => svc.smtp.mails.filter((m) => m.to.includes(address));

/** Waits for the n-th mail to `address` (optionally with a subject) and returns it. */
export async function nthMailTo(svc: TestService, address: string, n = 1, subject?: string): Promise<ReceivedMail> {
  const found = await svc.smtp.waitFor(n, (m) => m.to.includes(address) && (subject === undefined || m.subject === subject));
  return found[n - 1]!;
}

/** uid and token of the link in a mail. */
export const linkParts = (mail: ReceivedMail) => uidAndToken(linkIn(mail));

/**
 * Makes sure every email the service decided on so far has been handled: without AMQP_URL the relay feeds the
 * in-process bus in log order and the email consumer takes one delivery at a time, so once a mail caused by a later
 * event arrives, earlier events got their mail (or none). Each call makes an account of its own (floods of requests
 * for one address send one email per window) and waits for its mail: the activation email when activation is on,
 * else a password reset it asks for.
 */
export function mailBarrier(svc: TestService, opts: { activation: boolean; extra?: Record<string, unknown> }) {
  return async (): Promise<void> => {
    const account = await register(svc, { username: unique('barrier'), ...(opts.extra ? { extra: opts.extra } : {}) });
    if (!opts.activation) {
      const res = await svc.call('POST', '/auth/users/reset_password/', { email: account.email });
      assert.equal(res.status, 204, JSON.stringify(res.body));
    }
    await svc.smtp.waitFor(1, (m) => m.to.includes(account.email));
  };
}
