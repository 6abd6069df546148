// registration/ in each ACCOUNT_EMAIL_VERIFICATION mode and response mode, registration/verify-email/ (good, bad,
// expired, reused keys) and registration/resend-email/ (docs/dj-rest-auth-reference.md §8-§11, §15).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../../support/service.js';
import { mailBarrier } from '../helpers.js';
import { mailText, movableClock } from './replay.js';
import { BASE_ENV, CONFIRM_SUBJECT, PASSWORD, auth, bearer, dra, keyIn, mailTo, newUser, signUp } from './support.js';

const NOT_VERIFIED = { non_field_errors: ['E-mail is not verified.'] };
const CANNOT_LOG_IN = { non_field_errors: ['Unable to log in with provided credentials.'] };
const NOT_FOUND = { detail: 'Not found.' };
const GERMAN_SUBJECT = 'Bitte bestätige deine E-Mail-Adresse';
/** RFC 2047 Q-encoded words, as nodemailer writes a non-ASCII subject. */
const decodeHeader = (value: string) =>
  value.replace(/\?=\s+=\?/g, '?==?').replace(/=\?UTF-8\?Q\?(.*?)\?=/gi, (_m, q: string) =>
    Buffer.from(
      q.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/g, (_n, h: string) => String.fromCharCode(parseInt(h, 16))),
      'latin1',
    ).toString('utf8'),
  );

describe('dj-rest-auth registration, ACCOUNT_EMAIL_VERIFICATION=none, REST_AUTH defaults (token, SESSION_LOGIN)', () => {
  const svc = useService({ ...BASE_ENV, ACCOUNT_EMAIL_VERIFICATION: 'none' });
  const barrier = mailBarrier(svc, { activation: false });

  it('204 without a token; no confirmation email; the account logs in at once', async () => {
    const user = newUser();
    const res = await signUp(svc, user, 204);
    assert.equal(res.body, null);
    const login = await dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD });
    assert.equal(login.status, 200);
    assert.match(login.body.key, /^[0-9a-f]{40}$/);
    await barrier();
    assert.equal(svc.smtp.mails.filter((m) => m.to.includes(user.email)).length, 0);
  });

  it('keeps the email as typed and the username as given; checks both case-insensitively', async () => {
    const user = newUser('Typed');
    const email = `${user.username}@Example.COM`;
    await signUp(svc, { ...user, email });
    const key = (await dra(svc, 'POST', 'login/', { username: user.username.toUpperCase(), password: PASSWORD })).body.key;
    const me = await dra(svc, 'GET', 'user/', undefined, auth(key));
    assert.equal(me.body.email, email);
    assert.equal(me.body.username, user.username);
    const again = await dra(svc, 'POST', 'registration/', {
      username: user.username.toLowerCase(),
      email: email.toLowerCase(),
      password1: PASSWORD,
      password2: PASSWORD,
    });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, {
      username: ['A user with that username already exists.'],
      email: ['A user is already registered with this e-mail address.'],
    });
  });
});

describe('dj-rest-auth registration, SESSION_LOGIN=false: 201 with the DRF key', () => {
  const svc = useService({ ...BASE_ENV, ACCOUNT_EMAIL_VERIFICATION: 'none', REST_AUTH_SESSION_LOGIN: 'false' });

  it('the key authenticates user/', async () => {
    const user = newUser();
    const res = await signUp(svc, user, 201);
    assert.deepEqual(Object.keys(res.body), ['key']);
    const me = await dra(svc, 'GET', 'user/', undefined, auth(res.body.key));
    assert.equal(me.status, 200);
    assert.deepEqual(Object.keys(me.body), ['pk', 'username', 'email', 'first_name', 'last_name']);
    assert.equal(typeof me.body.pk, 'number');
  });
});

describe('dj-rest-auth registration, optional verification with JWT cookies', () => {
  const svc = useService({
    ...BASE_ENV,
    ACCOUNT_EMAIL_VERIFICATION: 'optional',
    REST_AUTH_USE_JWT: 'true',
    REST_AUTH_JWT_AUTH_COOKIE: 'app-auth',
    REST_AUTH_JWT_AUTH_REFRESH_COOKIE: 'app-refresh',
  });

  it('201 with both tokens in the body (HttpOnly or not) and no cookies; the signup email carries the key link', async () => {
    const user = newUser();
    const res = await signUp(svc, user, 201);
    assert.deepEqual(Object.keys(res.body), ['access', 'refresh', 'user']);
    assert.notEqual(res.body.refresh, '');
    assert.deepEqual(res.cookies, []);
    assert.equal((await dra(svc, 'GET', 'user/', undefined, bearer(res.body.access))).body.username, user.username);
    const mail = await mailTo(svc, user.email, CONFIRM_SUBJECT);
    assert.match(keyIn(mail), /^[A-Za-z0-9_-]+:[0-9A-Za-z]+:[A-Za-z0-9_-]{43}$/);
    assert.ok(mailText(mail).includes('register an account on localhost:8000.'), 'Site domain in the text');
  });

  it('login is allowed before verification (optional)', async () => {
    const user = newUser();
    await signUp(svc, user, 201);
    assert.equal((await dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD })).status, 200);
  });
});

describe('dj-rest-auth registration, mandatory verification', () => {
  const clock = movableClock();
  const svc = useService({ ...BASE_ENV, ACCOUNT_EMAIL_VERIFICATION: 'mandatory', REST_AUTH_SESSION_LOGIN: 'false' }, { now: clock.now });
  const barrier = mailBarrier(svc, { activation: false });
  const verify = (key: unknown) => dra(svc, 'POST', 'registration/verify-email/', { key });
  const login = (user: { username: string }, password = PASSWORD) => dra(svc, 'POST', 'login/', { username: user.username, password });

  it('201 "Verification e-mail sent."; login refused until the key verifies the address, after the password', async () => {
    const user = newUser();
    const res = await signUp(svc, user, 201);
    assert.deepEqual(res.body, { detail: 'Verification e-mail sent.' });
    const key = keyIn(await mailTo(svc, user.email, CONFIRM_SUBJECT));
    assert.deepEqual((await login(user)).body, NOT_VERIFIED);
    assert.deepEqual((await login(user, 'wrong-Horse-1')).body, CANNOT_LOG_IN);
    assert.deepEqual(await verify(key).then((r) => [r.status, r.body]), [200, { detail: 'ok' }]);
    assert.equal((await login(user)).status, 200);
  });

  it('the refusal is an event (LoginFailed, reason unverified), not counted towards a lock', async () => {
    const user = newUser();
    await signUp(svc, user, 201);
    for (let i = 0; i < 12; i++) assert.deepEqual((await login(user)).body, NOT_VERIFIED);
    const doc = await svc.readModel.findUserByUsername(user.username);
    const events = await svc.store.readStream(`user-${doc!.id}`);
    const failed = events.filter((e) => e.type === 'LoginFailed').map((e) => (e.data as { reason: string }).reason);
    assert.deepEqual([...new Set(failed)], ['unverified']);
    assert.ok(!events.some((e) => e.type === 'AccountLocked'));
  });

  it('a used key is refused (404), and so is every other key sent for the address', async () => {
    const user = newUser();
    await signUp(svc, user, 201);
    const first = keyIn(await mailTo(svc, user.email, CONFIRM_SUBJECT));
    // A key is signed to the second (as allauth's): the next one is another key a second later.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await dra(svc, 'POST', 'registration/resend-email/', { email: user.email })).status, 200);
    const second = keyIn(await mailTo(svc, user.email, CONFIRM_SUBJECT, 2));
    assert.notEqual(first, second);
    assert.equal((await verify(second)).status, 200);
    assert.deepEqual(await verify(second).then((r) => [r.status, r.body]), [404, NOT_FOUND]);
    assert.deepEqual(await verify(first).then((r) => [r.status, r.body]), [404, NOT_FOUND]);
    // Verified: resend-email sends nothing more.
    assert.equal((await dra(svc, 'POST', 'registration/resend-email/', { email: user.email })).status, 200);
    await barrier();
    assert.equal(svc.smtp.mails.filter((m) => m.to.includes(user.email) && m.subject === CONFIRM_SUBJECT).length, 2);
  });

  it('bad keys: garbage, a forged MAC, another secret, blank (400) — 404 without a trace of whose', async () => {
    const user = newUser();
    await signUp(svc, user, 201);
    const key = keyIn(await mailTo(svc, user.email, CONFIRM_SUBJECT));
    for (const bad of ['nope', `${key.slice(0, -2)}AA`, `${key.split(':')[0]}:${key.split(':')[1]}:${'A'.repeat(43)}`, `x${key}`])
      assert.deepEqual(await verify(bad).then((r) => [r.status, r.body]), [404, NOT_FOUND], bad);
    assert.deepEqual(await verify('').then((r) => [r.status, r.body]), [400, { key: ['This field may not be blank.'] }]);
    assert.deepEqual(await verify(undefined).then((r) => [r.status, r.body]), [400, { key: ['This field is required.'] }]);
    assert.equal((await verify(key)).status, 200, 'the real key still works');
  });

  it('an expired key (ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS: 3) is a 404', async () => {
    const user = newUser();
    let key: string;
    clock.set(-4 * 86_400_000);
    try {
      await signUp(svc, user, 201);
      key = keyIn(await mailTo(svc, user.email, CONFIRM_SUBJECT));
    } finally {
      clock.set(0);
    }
    assert.deepEqual(await verify(key).then((r) => [r.status, r.body]), [404, NOT_FOUND]);
    assert.deepEqual((await login(user)).body, NOT_VERIFIED);
  });

  it('a key sent to the previous address does not verify the new one', async () => {
    const user = newUser();
    await signUp(svc, user, 201);
    const key = keyIn(await mailTo(svc, user.email, CONFIRM_SUBJECT));
    const doc = await svc.readModel.findUserByUsername(user.username);
    await svc.useCases!.profile.update(doc!.id, { email: `moved-${user.email}` });
    assert.equal((await verify(key)).status, 404);
  });
});

describe('dj-rest-auth resend-email (authstream: case-insensitive, with a cooldown)', () => {
  const svc = useService({ ...BASE_ENV, ACCOUNT_EMAIL_VERIFICATION: 'optional', EMAIL_REQUEST_WINDOW: '60' });
  const barrier = mailBarrier(svc, { activation: false });
  const resend = (email: unknown) => dra(svc, 'POST', 'registration/resend-email/', email === undefined ? {} : { email });

  it('always 200 {"detail": "ok"}; field errors as allauth', async () => {
    assert.deepEqual(await resend('nobody@example.com').then((r) => [r.status, r.body]), [200, { detail: 'ok' }]);
    assert.deepEqual(await resend('nope').then((r) => [r.status, r.body]), [400, { email: ['Enter a valid email address.'] }]);
    assert.deepEqual(await resend(undefined).then((r) => [r.status, r.body]), [400, { email: ['This field is required.'] }]);
  });

  it('finds the address in any case; a second request inside EMAIL_REQUEST_WINDOW sends nothing more', async () => {
    const user = newUser();
    await signUp(svc, user, 204);
    await mailTo(svc, user.email, CONFIRM_SUBJECT);
    assert.equal((await resend(user.email.toUpperCase())).status, 200);
    const resent = await mailTo(svc, user.email, CONFIRM_SUBJECT, 2);
    assert.ok(resent);
    assert.equal((await resend(user.email)).status, 200);
    await barrier();
    assert.equal(svc.smtp.mails.filter((m) => m.to.includes(user.email)).length, 2);
  });
});

describe('dj-rest-auth emails: ACCOUNT_EMAIL_SUBJECT_PREFIX and LANGUAGE_CODE', () => {
  const svc = useService({
    ...BASE_ENV,
    ACCOUNT_EMAIL_VERIFICATION: 'optional',
    ACCOUNT_EMAIL_SUBJECT_PREFIX: '[Shop] ',
    LANGUAGE_CODE: 'de',
  });

  it("allauth's German texts, under the configured prefix", async () => {
    const user = newUser();
    await signUp(svc, user, 204);
    const [mail] = await svc.smtp.waitFor(1, (m) => m.to.includes(user.email));
    assert.equal(decodeHeader(mail!.subject), `[Shop] ${GERMAN_SUBJECT}`);
    assert.match(mailText(mail!), /account-confirm-email\/[-:\w]+\//);
  });
});
