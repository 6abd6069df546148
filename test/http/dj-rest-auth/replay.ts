// Replays the exchanges recorded against dj-rest-auth 4.0.1 + allauth 0.51 (test/fixtures/dj-rest-auth/*.json, format
// in that directory's README) against authstream configured the same way, and says where the answers differ.
//
// One group = one run against a fresh service. `setup` entries create accounts through the use cases (as the
// recorder created them in the database); requests are sent as recorded, with `{{name}}` filled in from earlier
// captures; responses are matched with the README's placeholders. Emails: after an exchange that can send one, a
// barrier (a djoser account asking for a reset, which is mailed after everything before it) makes sure every email
// the exchange caused has arrived, so "no email" is checked too.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestService } from '../../support/service.js';
import type { ReceivedMail } from '../../support/smtp.js';
import { mailBarrier } from '../helpers.js';
import { newCsrfToken } from '../../../src/http/dj-rest-auth/csrf.js';
import { emailConfirmationKey } from '../../../src/crypto/email-key.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface FixtureSettings {
  readonly combo: string;
  readonly REST_AUTH: Record<string, Json>;
  readonly SIMPLE_JWT?: Record<string, Json>;
  readonly ACCOUNT: Record<string, Json>;
  readonly DEFAULT_AUTHENTICATION_CLASSES: string[];
  readonly token_blacklist_installed: boolean;
  readonly user_model: string;
}

export interface FixtureUser {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly first_name?: string;
  readonly last_name?: string;
  readonly is_active: boolean;
  readonly allauth_emailaddress: { verified: boolean; primary: boolean } | null;
}

export interface FixtureEmail {
  readonly to: string[];
  readonly from: string;
  readonly subject: string;
  readonly body: string;
}

export interface FixtureEntry {
  readonly name: string;
  readonly group: string;
  readonly settings: FixtureSettings;
  readonly setup?: { users: FixtureUser[]; vars?: Record<string, string> };
  readonly request?: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body?: Json;
    raw_body?: string;
    cookies?: Record<string, string>;
    scheme?: string;
  };
  readonly response?: { status: number; headers: Record<string, string | string[]>; body: Json };
  readonly emails?: FixtureEmail[];
  readonly capture?: Record<string, string | { email: number; regex: string }>;
  readonly note?: string;
}

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/dj-rest-auth');

export function loadFixtures(): FixtureEntry[] {
  return ['token', 'jwt', 'uuid-user'].flatMap((f) => JSON.parse(readFileSync(path.join(FIXTURES, `${f}.json`), 'utf8')) as FixtureEntry[]);
}

/** The entries of each group, in recorded order. */
export function groups(entries: readonly FixtureEntry[]): Map<string, FixtureEntry[]> {
  const byGroup = new Map<string, FixtureEntry[]>();
  for (const e of entries) byGroup.set(e.group, [...(byGroup.get(e.group) ?? []), e]);
  return byGroup;
}

/** What the site looked like to the recorder: the request host in links, the Site in texts. */
export const RECORDED_HOST = 'localhost:8000';
export const RECORDED_SITE = 'example.com';

/** authstream's environment for a recorded group's settings. */
export function envFor(settings: FixtureSettings): Record<string, string> {
  const env: Record<string, string> = {
    DJ_REST_AUTH_PREFIX: '/dj-rest-auth/',
    DOMAIN: RECORDED_HOST,
    SITE_NAME: RECORDED_SITE,
    PROTOCOL: 'http',
    // dj-rest-auth has neither throttles (none configured) nor a cooldown on its emails.
    DEFAULT_THROTTLE_RATES: 'login:none,login_account:none,register:none,email_request:none,confirm:none',
    EMAIL_REQUEST_WINDOW: '0',
    DJ_REST_AUTH_TOKEN_BLACKLIST: String(settings.token_blacklist_installed),
  };
  const value = (v: Json) => (typeof v === 'boolean' ? String(v) : String(v));
  for (const [k, v] of Object.entries(settings.REST_AUTH)) if (k !== 'PASSWORD_RESET_USE_SITES_DOMAIN') env[`REST_AUTH_${k}`] = value(v);
  for (const [k, v] of Object.entries(settings.SIMPLE_JWT ?? {})) env[k] = value(v);
  for (const [k, v] of Object.entries(settings.ACCOUNT)) env[k] = value(v);
  if (settings.user_model.includes('UUID')) env.USER_ID_TYPE = 'uuid';
  return env;
}

/** A clock the replay can move (an email-confirmation key signed days ago). */
export function movableClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    set: (ms: number) => void (offsetMs = ms),
  };
}

export type Clock = ReturnType<typeof movableClock>;

export interface ExchangeResult {
  readonly name: string;
  readonly problems: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// Placeholders

const PATTERNS: Record<string, string> = {
  '<token:40hex>': '[0-9a-f]{40}',
  '<jwt:access>': 'eyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+',
  '<jwt:refresh>': 'eyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+',
  '<emailkey:hmac>': '[A-Za-z0-9_-]+:[0-9A-Za-z]+:[A-Za-z0-9_-]{43}',
  '<emailkey:64>': '[0-9a-z]{64}',
  '<uid:base36>': '[0-9a-z]+',
  '<uid:hex32>': '[0-9a-f]{32}',
  '<resettoken>': '[0-9a-z]{1,13}-[0-9a-f]{32}',
  '<uuid>': '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
  '<datetime:iso8601>': '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z',
  '<http-date>': '[A-Z][a-z]{2}, \\d\\d [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d GMT',
};
const PLACEHOLDER =
  /<(?:token:40hex|jwt:access|jwt:refresh|emailkey:hmac|emailkey:64|uid:base36|uid:hex32|resettoken|uuid|datetime:iso8601|http-date)>/g;

/** A regular expression for a recorded string that may hold placeholders. */
function templateRegex(expected: string): RegExp {
  let source = '';
  let last = 0;
  for (const m of expected.matchAll(PLACEHOLDER)) {
    source += escape(expected.slice(last, m.index)) + `(${PATTERNS[m[0]]})`;
    last = m.index! + m[0].length;
  }
  return new RegExp(`^${source}${escape(expected.slice(last))}$`);
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const jwtType = (token: string): unknown => {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).token_type;
  } catch {
    return undefined;
  }
};

/** Differences between a recorded JSON value (with placeholders) and ours, as readable lines. */
export function matchJson(expected: Json, actual: unknown, at = 'body'): string[] {
  if (expected === '<pk:int>') return Number.isInteger(actual) ? [] : [`${at}: expected an integer pk, got ${JSON.stringify(actual)}`];
  if (typeof expected === 'string' && /^<jwt:(access|refresh)>$/.test(expected)) {
    const type = expected.slice(5, -1);
    return typeof actual === 'string' && templateRegex(expected).test(actual) && jwtType(actual) === type
      ? []
      : [`${at}: expected a ${type} JWT, got ${JSON.stringify(actual)}`];
  }
  if (typeof expected === 'string' && PLACEHOLDER.test(expected)) {
    PLACEHOLDER.lastIndex = 0;
    return typeof actual === 'string' && templateRegex(expected).test(actual)
      ? []
      : [`${at}: expected ${expected}, got ${JSON.stringify(actual)}`];
  }
  PLACEHOLDER.lastIndex = 0;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length)
      return [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    return expected.flatMap((e, i) => matchJson(e, actual[i], `${at}[${i}]`));
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    const keys = Object.keys(expected);
    const got = Object.keys(actual);
    if (keys.join() !== got.join()) return [`${at}: expected keys ${keys.join(',')}, got ${got.join(',')} (${JSON.stringify(actual)})`];
    return keys.flatMap((k) => matchJson(expected[k]!, (actual as Record<string, unknown>)[k], `${at}.${k}`));
  }
  return expected === actual ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

// ---------------------------------------------------------------------------------------------------------------
// Requests

/** Django's session, CSRF and messages cookies: authstream has no sessions (reference §0.7). */
const SESSION_COOKIES = /^(sessionid|csrftoken|messages)=/;

function fill(value: Json, vars: Record<string, string>): Json {
  if (typeof value === 'string')
    return value.replace(/\{\{([\w.]+)\}\}/g, (_m, name: string) => {
      const v = vars[name];
      if (v === undefined) throw new Error(`no value captured for {{${name}}}`);
      return v;
    });
  if (Array.isArray(value)) return value.map((v) => fill(v, vars));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, vars)]));
  return value;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly cookies: string[];
}

async function send(svc: TestService, request: NonNullable<FixtureEntry['request']>, vars: Record<string, string>): Promise<Answer> {
  const headers = fill(request.headers, vars) as Record<string, string>;
  const cookies = request.cookies ? (fill(request.cookies, vars) as Record<string, string>) : undefined;
  if (cookies)
    headers.Cookie = Object.entries(cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
  const body =
    request.raw_body !== undefined ? request.raw_body : request.body !== undefined ? JSON.stringify(fill(request.body, vars)) : undefined;
  const res = await fetch(`${svc.url}${fill(request.path, vars) as string}`, {
    method: request.method,
    headers,
    redirect: 'manual',
    ...(body === undefined ? {} : { body }),
  });
  const text = await res.text();
  let parsed: unknown = text === '' ? null : text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body: parsed, cookies: res.headers.getSetCookie() };
}

function matchHeaders(expected: Record<string, string | string[]>, answer: Answer): string[] {
  const problems: string[] = [];
  const type = expected['Content-Type'];
  const media = (v: string | null | undefined) => v?.split(';')[0]!.trim();
  if (typeof type === 'string' && media(type) !== media(answer.headers.get('content-type')))
    problems.push(`Content-Type: expected ${type}, got ${answer.headers.get('content-type')}`);
  // DRF sends Allow on every answer; only a 405's is compared.
  if (answer.status === 405 && expected.Allow !== answer.headers.get('allow'))
    problems.push(`Allow: expected ${String(expected.Allow)}, got ${answer.headers.get('allow')}`);
  for (const name of ['WWW-Authenticate', 'Location']) {
    const want = expected[name];
    const got = answer.headers.get(name);
    if ((want ?? null) !== got) problems.push(`${name}: expected ${String(want ?? '(none)')}, got ${got ?? '(none)'}`);
  }
  const wanted = ((expected['Set-Cookie'] as string[] | undefined) ?? []).filter((c) => !SESSION_COOKIES.test(c));
  const got = answer.cookies.filter((c) => !SESSION_COOKIES.test(c));
  if (wanted.length !== got.length) problems.push(`Set-Cookie: expected ${JSON.stringify(wanted)}, got ${JSON.stringify(got)}`);
  else wanted.forEach((w, i) => !templateRegex(w).test(got[i]!) && problems.push(`Set-Cookie[${i}]: expected ${w}, got ${got[i]}`));
  return problems;
}

/** The recorded email body as authstream words it: the Site's domain is authstream's DOMAIN (its links' host). */
const asAuthstream = (body: string) =>
  body
    .replace(`register an account on ${RECORDED_SITE}.`, `register an account on ${RECORDED_HOST}.`)
    .replace(new RegExp(`\\n${escape(RECORDED_SITE)}$`), `\n${RECORDED_HOST}`);

function matchEmails(expected: readonly FixtureEmail[], mails: readonly ReceivedMail[]): string[] {
  if (expected.length !== mails.length)
    return [
      `emails: expected ${expected.length} (${expected.map((e) => e.to.join()).join('; ')}), got ${mails.length} (${mails.map((m) => m.to.join()).join('; ')})`,
    ];
  return expected.flatMap((e, i) => {
    const mail = mails[i]!;
    const problems: string[] = [];
    // The SMTP envelope's domain is lower-cased on the way (nodemailer); the local part is as sent.
    const envelope = (t: string) => t.replace(/@(.*)$/, (_m, d: string) => `@${d.toLowerCase()}`);
    if (mail.to.join() !== e.to.map(envelope).join()) problems.push(`email ${i} to: expected ${e.to.join()}, got ${mail.to.join()}`);
    if (mail.subject !== e.subject) problems.push(`email ${i} subject: expected ${e.subject}, got ${mail.subject}`);
    if (!/^From: webmaster@localhost$/m.test(mail.raw.replace(/\r/g, ''))) problems.push(`email ${i}: not from ${e.from}`);
    const text = mailText(mail);
    if (!templateRegex(asAuthstream(e.body)).test(text))
      problems.push(`email ${i} body: expected\n${asAuthstream(e.body)}\n--- got\n${text}`);
    return problems;
  });
}

/** The text of a (text-only) mail, quoted-printable undone. */
export function mailText(mail: ReceivedMail): string {
  const raw = mail.raw.replace(/\r\n/g, '\n');
  const split = raw.indexOf('\n\n');
  const head = raw.slice(0, split);
  const body = raw.slice(split + 2);
  if (!/^Content-Transfer-Encoding: quoted-printable/im.test(head)) return body.trim();
  const bytes = body.replace(/=\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8').trim();
}

/** Exchanges after which an email can be due: the barrier is run and every email checked (none included). */
const MAILING = /\/(registration|registration\/resend-email|password\/reset)\/$/;

// ---------------------------------------------------------------------------------------------------------------
// Runs

export interface GroupRun {
  readonly svc: TestService;
  readonly clock: Clock;
  readonly vars: Record<string, string>;
  /** pk of each username seen in an answer (dave.uid_dashed is str(user.pk)). */
  readonly pks: Record<string, string>;
}

export const newRun = (svc: TestService, clock: Clock): GroupRun => ({ svc, clock, vars: { csrf: newCsrfToken() }, pks: {} });

const secretOf = async (svc: TestService) => (await readFile(path.join(svc.dataDir, 'secret_key'), 'utf8')).trim();

/** A setup entry: the accounts, as the recorder created them in the database. */
export async function seed(run: GroupRun, setup: NonNullable<FixtureEntry['setup']>): Promise<void> {
  const { svc } = run;
  const cases = svc.useCases!;
  for (const user of setup.users) {
    const account = await cases.registration.signUp({
      username: user.username,
      email: user.email,
      password: user.password,
      firstName: user.first_name ?? '',
      lastName: user.last_name ?? '',
    });
    run.pks[user.username] = account.id;
    if (user.allauth_emailaddress?.verified) {
      await cases.emailVerification.requestAtSignup(account.id);
      await cases.emailVerification.verify(await lastKeyOf(run, account.id));
    }
    if (!user.is_active) {
      // bob.token: a token row made for the inactive user.
      run.vars[`${user.username}.token`] = await cases.tokens.tokenLogin(user.username, user.password);
      await cases.admin.deactivate({ id: 'recorder', isStaff: true, isSuperuser: true }, account.id);
    }
    if (setup.vars?.[`${user.username}.oldkey`]) {
      // An HMAC key signed four days ago: a request made then.
      run.clock.set(-4 * 86_400_000);
      await cases.emailVerification.requestAtSignup(account.id);
      run.clock.set(0);
      run.vars[`${user.username}.oldkey`] = await lastKeyOf(run, account.id);
    }
  }
  // The setup's own emails (confirmations asked for above) are in before anything is replayed.
  await mailBarrier(svc, { activation: false })();
}

/** The key of the account's latest confirmation request, rebuilt from the log as the email consumer does. */
async function lastKeyOf(run: GroupRun, userId: string): Promise<string> {
  let at: string | undefined;
  for (const e of await run.svc.store.readStream(`user-${userId}`))
    if (e.type === 'EmailVerificationRequested') at = (e.data as { at: string }).at;
  if (!at) throw new Error(`no confirmation request for ${userId}`);
  return emailConfirmationKey(await secretOf(run.svc), userId, Math.floor(Date.parse(at) / 1000));
}

function derived(run: GroupRun, request: NonNullable<FixtureEntry['request']>): void {
  for (const m of JSON.stringify(request).matchAll(/\{\{([\w]+)\.(uid_dashed|emailkey_upper)\}\}/g)) {
    const [, who, what] = m;
    if (what === 'uid_dashed' && run.pks[who!]) run.vars[`${who}.uid_dashed`] = run.pks[who!]!;
    if (what === 'emailkey_upper' && run.vars[`${who}.emailkey`])
      run.vars[`${who}.emailkey_upper`] = run.vars[`${who}.emailkey`]!.toUpperCase();
  }
}

function capture(run: GroupRun, entry: FixtureEntry, answer: Answer, mails: readonly ReceivedMail[]): string[] {
  const problems: string[] = [];
  for (const [name, how] of Object.entries(entry.capture ?? {})) {
    let value: string | undefined;
    if (typeof how === 'object') {
      const mail = mails[how.email];
      value = mail ? new RegExp(how.regex).exec(mailText(mail))?.[1] : undefined;
    } else if (how.startsWith('body.')) {
      const v = (answer.body as Record<string, unknown> | null)?.[how.slice(5)];
      value = typeof v === 'string' && v !== '' ? v : undefined;
    } else if (how.startsWith('set-cookie:')) {
      const cookie = answer.cookies.find((c) => c.startsWith(`${how.slice(11)}=`));
      value = cookie?.slice(how.length - 10, cookie.indexOf(';'));
    }
    if (value === undefined) problems.push(`capture ${name} (${JSON.stringify(how)}): nothing to capture`);
    else run.vars[name] = value;
  }
  return problems;
}

function rememberPks(run: GroupRun, body: unknown): void {
  const user = (body as { user?: unknown } | null)?.user ?? body;
  if (user && typeof user === 'object' && 'pk' in user && 'username' in user) run.pks[String(user.username)] = String(user.pk);
}

/** Replays one exchange; returns what differs (empty: the same answer). */
export async function replay(run: GroupRun, entry: FixtureEntry): Promise<ExchangeResult> {
  const request = entry.request!;
  const expected = entry.response!;
  derived(run, request);
  let answer: Answer;
  try {
    const before = run.svc.smtp.mails.length;
    answer = await send(run.svc, request, run.vars);
    rememberPks(run, answer.body);
    const problems: string[] = [];
    if (answer.status !== expected.status) problems.push(`status: expected ${expected.status}, got ${answer.status}`);
    problems.push(...matchHeaders(expected.headers, answer));
    if (typeof expected.body === 'string' && expected.body.startsWith('<html:'))
      problems.push(`body: expected Django's HTML page ${expected.body}, got ${JSON.stringify(answer.body)}`);
    else problems.push(...matchJson(expected.body, answer.body));
    let mails: ReceivedMail[] = [];
    if (MAILING.test(request.path) || entry.emails) {
      await mailBarrier(run.svc, { activation: false })();
      mails = run.svc.smtp.mails.slice(before).filter((m) => !m.to.some((t) => t.startsWith('barrier_')));
      problems.push(...matchEmails(entry.emails ?? [], mails));
    }
    problems.push(...capture(run, entry, answer, mails));
    return { name: entry.name, problems };
  } catch (error) {
    return { name: entry.name, problems: [`failed: ${String((error as Error).stack ?? error)}`] };
  }
}
