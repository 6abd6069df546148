// login/ by username, email or either (ACCOUNT_AUTHENTICATION_METHOD), logout/ in token mode, user/, and the
// throttles and events the surface shares with djoser's (docs/dj-rest-auth-reference.md §2-§4).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../../support/service.js';
import { BASE_ENV, PASSWORD, auth, dra, newUser, signUp } from './support.js';

const CANNOT_LOG_IN = { non_field_errors: ['Unable to log in with provided credentials.'] };
const login = (svc: Parameters<typeof dra>[0], body: unknown) => dra(svc, 'POST', 'login/', body);

describe('dj-rest-auth login by username (the default)', () => {
  const svc = useService({ ...BASE_ENV, ACCOUNT_EMAIL_VERIFICATION: 'none' });

  it('any case of the username; the same key every time; the email alone is not enough', async () => {
    const user = newUser();
    await signUp(svc, user);
    const first = await login(svc, { username: user.username, password: PASSWORD });
    const again = await login(svc, { username: user.username.toUpperCase(), password: ` ${PASSWORD} ` });
    assert.equal(first.body.key, again.body.key);
    assert.deepEqual((await login(svc, { email: user.email, password: PASSWORD })).body, {
      non_field_errors: ['Must include "username" and "password".'],
    });
    assert.deepEqual((await login(svc, { username: user.email, password: PASSWORD })).body, CANNOT_LOG_IN);
    assert.deepEqual((await login(svc, { username: user.username, password: 'wrong' })).body, CANNOT_LOG_IN);
  });

  it('logout/ deletes the key (200, AllowAny); a new login makes a new one', async () => {
    const user = newUser();
    await signUp(svc, user);
    const key = (await login(svc, { username: user.username, password: PASSWORD })).body.key;
    assert.deepEqual((await dra(svc, 'POST', 'logout/')).body, { detail: 'Successfully logged out.' });
    const out = await dra(svc, 'POST', 'logout/', undefined, auth(key));
    assert.deepEqual([out.status, out.body], [200, { detail: 'Successfully logged out.' }]);
    assert.deepEqual((await dra(svc, 'GET', 'user/', undefined, auth(key))).body, { detail: 'Invalid token.' });
    assert.notEqual((await login(svc, { username: user.username, password: PASSWORD })).body.key, key);
  });

  it('user/: PATCH names, PUT needs a new username; your own is "already exists"; the old name is free again', async () => {
    const user = newUser();
    await signUp(svc, user);
    const key = (await login(svc, { username: user.username, password: PASSWORD })).body.key;
    const patched = await dra(svc, 'PATCH', 'user/', { first_name: 'Ann', email: 'ignored@example.com' }, auth(key));
    assert.equal(patched.body.first_name, 'Ann');
    assert.equal(patched.body.email, user.email);
    assert.deepEqual((await dra(svc, 'PUT', 'user/', { username: user.username }, auth(key))).body, {
      username: ['A user with that username already exists.'],
    });
    const renamed = await dra(svc, 'PUT', 'user/', { username: `${user.username}x` }, auth(key));
    assert.equal(renamed.body.username, `${user.username}x`);
    assert.equal((await login(svc, { username: `${user.username}x`, password: PASSWORD })).status, 200);
    const other = newUser();
    await signUp(svc, { ...other, username: user.username });
  });

  it('a missing trailing slash is a 301 to it, for POST too', async () => {
    const res = await dra(svc, 'POST', '/dj-rest-auth/login?next=1', {});
    assert.equal(res.status, 301);
    assert.equal(res.headers.get('location'), '/dj-rest-auth/login/?next=1');
  });
});

describe('dj-rest-auth login by email', () => {
  const svc = useService({
    ...BASE_ENV,
    ACCOUNT_EMAIL_VERIFICATION: 'none',
    ACCOUNT_AUTHENTICATION_METHOD: 'email',
    ACCOUNT_USERNAME_REQUIRED: 'false',
  });

  it('by email in any case; a username is refused as missing the email', async () => {
    const user = newUser();
    await signUp(svc, user);
    assert.equal((await login(svc, { email: user.email.toUpperCase(), password: PASSWORD })).status, 200);
    assert.deepEqual((await login(svc, { username: user.username, password: PASSWORD })).body, {
      non_field_errors: ['Must include "email" and "password".'],
    });
  });

  it('registration without a username makes one from the address', async () => {
    const res = await dra(svc, 'POST', 'registration/', { email: 'Frank.Jones@example.com', password1: PASSWORD, password2: PASSWORD });
    assert.equal(res.status, 204);
    const key = (await login(svc, { email: 'frank.jones@example.com', password: PASSWORD })).body.key;
    assert.equal((await dra(svc, 'GET', 'user/', undefined, auth(key))).body.username, 'frank.jones');
  });
});

describe('dj-rest-auth login by username or email', () => {
  const svc = useService({ ...BASE_ENV, ACCOUNT_EMAIL_VERIFICATION: 'none', ACCOUNT_AUTHENTICATION_METHOD: 'username_email' });

  it('either; the email wins when both are given; an email in the username field works', async () => {
    const a = newUser('a');
    const b = newUser('b');
    await signUp(svc, a);
    await signUp(svc, b);
    const whose = async (body: unknown) => {
      const key = (await login(svc, body)).body.key;
      return (await dra(svc, 'GET', 'user/', undefined, auth(key))).body.username;
    };
    assert.equal(await whose({ username: a.username, password: PASSWORD }), a.username);
    assert.equal(await whose({ email: a.email, password: PASSWORD }), a.username);
    assert.equal(await whose({ username: a.email, password: PASSWORD }), a.username);
    assert.equal(await whose({ username: a.username, email: b.email, password: PASSWORD }), b.username);
    assert.deepEqual((await login(svc, { password: PASSWORD })).body, {
      non_field_errors: ['Must include either "username" or "email" and "password".'],
    });
  });
});

describe('dj-rest-auth throttles and events: the same as the djoser surface', () => {
  const svc = useService({ ...BASE_ENV, ACCOUNT_EMAIL_VERIFICATION: 'none', DEFAULT_THROTTLE_RATES: 'login_account:2/min' });

  it('failed logins per login name are throttled (429); every attempt is an event with the request metadata', async () => {
    const user = newUser();
    await signUp(svc, user);
    const wrong = () =>
      dra(svc, 'POST', 'login/', { username: user.username, password: 'wrong' }, { headers: { 'User-Agent': 'replay-agent/1' } });
    assert.equal((await wrong()).status, 400);
    assert.equal((await wrong()).status, 400);
    const third = await wrong();
    assert.equal(third.status, 429);
    assert.match(third.body.detail, /^Request was throttled\. Expected available in \d+ seconds?\.$/);
    const doc = await svc.readModel.findUserByUsername(user.username);
    const failed = (await svc.store.readStream(`user-${doc!.id}`)).filter((e) => e.type === 'LoginFailed');
    assert.equal(failed.length, 2);
    assert.equal(failed[0]!.metadata.userAgent, 'replay-agent/1');
    assert.ok(failed[0]!.metadata.correlationId);
  });
});
