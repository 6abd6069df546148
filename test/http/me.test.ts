// users/me/: GET, PUT, PATCH, DELETE (docs/djoser-reference.md §5).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../support/service.js';
import {
  NOT_AUTHENTICATED,
  PASSWORD,
  SITE,
  auth,
  bearer,
  jwtPair,
  linkParts,
  login,
  mailBarrier,
  mailsTo,
  nthMailTo,
  register,
  unique,
} from './helpers.js';

describe('users/me/ (default settings)', () => {
  const svc = useService(SITE);
  const barrier = mailBarrier(svc, { activation: false });

  const me = (method: string, token: string, body?: unknown) => svc.call(method, '/auth/users/me/', body, auth(token));
  const signedIn = async () => {
    const user = await register(svc);
    return { user, token: await login(svc, user.username) };
  };

  it('anonymous: every method → 401 with WWW-Authenticate: Token', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      const res = await svc.call(method, '/auth/users/me/', method === 'GET' || method === 'OPTIONS' ? undefined : {});
      assert.equal(res.status, 401, method);
      assert.deepEqual(res.body, NOT_AUTHENTICATED, method);
      assert.equal(res.headers.get('www-authenticate'), 'Token', method);
    }
    const malformed = await svc.call('PATCH', '/auth/users/me/', 'hello', { 'content-type': 'text/plain' });
    assert.equal(malformed.status, 401, 'permission is checked before the body is parsed');
  });

  it('GET → 200 {email, id, username} in that key order (unlike POST users/)', async () => {
    const { user, token } = await signedIn();
    const res = await me('GET', token);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { email: user.email, id: user.id, username: user.username });
    assert.deepEqual(Object.keys(res.body), ['email', 'id', 'username']);
  });

  it('GET with a JWT access token, and HEAD', async () => {
    const { user } = await signedIn();
    const { access } = await jwtPair(svc, user.username);
    const res = await svc.call('GET', '/auth/users/me/', undefined, bearer(access));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { email: user.email, id: user.id, username: user.username });
    const head = await svc.call('HEAD', '/auth/users/me/', undefined, bearer(access));
    assert.equal(head.status, 200);
    assert.equal(head.body, null);
  });

  it('PUT {} → 200 unchanged (email is optional even for PUT)', async () => {
    const { user, token } = await signedIn();
    const res = await me('PUT', token, {});
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { email: user.email, id: user.id, username: user.username });
  });

  it('PATCH and PUT change the email, stored as given (no normalisation on update)', async () => {
    const { user, token } = await signedIn();
    const a = await me('PATCH', token, { email: 'New.Addr@EXAMPLE.com' });
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { email: 'New.Addr@EXAMPLE.com', id: user.id, username: user.username });
    assert.deepEqual((await me('GET', token)).body, a.body);
    const b = await me('PUT', token, { email: '  other@example.com  ' });
    assert.equal(b.status, 200);
    assert.equal(b.body.email, 'other@example.com');
    const c = await me('PUT', token, { email: '' });
    assert.equal(c.status, 200);
    assert.equal(c.body.email, '');
  });

  it('read-only fields (username, id) and unknown fields are silently ignored', async () => {
    const { user, token } = await signedIn();
    const res = await me('PATCH', token, { username: unique('other'), id: 'x', is_staff: true });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { email: user.email, id: user.id, username: user.username });
    const put = await me('PUT', token, { username: unique('other'), id: 'x', email: user.email });
    assert.deepEqual(put.body, { email: user.email, id: user.id, username: user.username });
    await login(svc, user.username);
  });

  it('email errors: null, invalid, too long, not a string', async () => {
    const { token } = await signedIn();
    const cases: [unknown, string][] = [
      [null, 'This field may not be null.'],
      ['bad', 'Enter a valid email address.'],
      [`${'a'.repeat(250)}@example.com`, 'Ensure this field has no more than 254 characters.'],
      [['a@example.com'], 'Enter a valid email address.'],
    ];
    for (const [email, message] of cases) {
      const res = await me('PATCH', token, { email });
      assert.equal(res.status, 400, JSON.stringify(email));
      assert.deepEqual(res.body, { email: [message] }, JSON.stringify(email));
    }
  });

  it('without SEND_ACTIVATION_EMAIL an email change keeps the account active; only the old address is told (deliberate)', async () => {
    const { user, token } = await signedIn();
    const address = `${unique('moved')}@example.com`;
    assert.equal((await me('PATCH', token, { email: address })).status, 200);
    assert.equal((await me('GET', token)).status, 200);
    await barrier();
    assert.equal(mailsTo(svc, address).length, 0);
    // EMAIL_CHANGED_NOTICE (on by default; djoser tells nobody): the previous address learns of the change.
    assert.deepEqual(
      mailsTo(svc, user.email).map((m) => m.subject),
      ['Example - The email address of your account was changed'],
    );
  });

  it('POST → 405 for an authenticated user', async () => {
    const { token } = await signedIn();
    const res = await me('POST', token, {});
    assert.equal(res.status, 405);
    assert.deepEqual(res.body, { detail: 'Method "POST" not allowed.' });
  });

  describe('DELETE', () => {
    it('current_password required / null / wrong', async () => {
      const { token } = await signedIn();
      const a = await me('DELETE', token);
      assert.equal(a.status, 400);
      assert.deepEqual(a.body, { current_password: ['This field is required.'] });
      const b = await me('DELETE', token, { current_password: null });
      assert.equal(b.status, 400);
      assert.deepEqual(b.body, { current_password: ['This field may not be null.'] });
      const c = await me('DELETE', token, { current_password: 'wrong' });
      assert.equal(c.status, 400);
      assert.deepEqual(c.body, { current_password: ['Invalid password.'] });
      const d = await me('DELETE', token, { current_password: '' });
      assert.equal(d.status, 400);
      assert.deepEqual(d.body, { current_password: ['This field may not be blank.'] });
      assert.equal((await me('GET', token)).status, 200, 'still there');
    });

    it('204 (password trimmed); the token, JWTs and credentials stop working; the username is free again', async () => {
      const { user, token } = await signedIn();
      const { access } = await jwtPair(svc, user.username);
      const res = await me('DELETE', token, { current_password: `  ${PASSWORD} ` });
      assert.equal(res.status, 204);
      assert.equal(res.body, null);

      const byToken = await me('GET', token);
      assert.equal(byToken.status, 401);
      assert.deepEqual(byToken.body, { detail: 'Invalid token.' });
      const byJwt = await svc.call('GET', '/auth/users/me/', undefined, bearer(access));
      assert.equal(byJwt.status, 401);
      assert.deepEqual(byJwt.body, { detail: 'User not found', code: 'user_not_found' });
      const again = await svc.call('POST', '/auth/token/login/', { username: user.username, password: PASSWORD });
      assert.equal(again.status, 400);
      assert.deepEqual(again.body, { non_field_errors: ['Unable to log in with provided credentials.'] });

      const reuse = await svc.call('POST', '/auth/users/', { username: user.username, password: PASSWORD });
      assert.equal(reuse.status, 201);
      assert.notEqual(reuse.body.id, user.id);
    });

    it('works when authenticated with a JWT', async () => {
      const { user } = await signedIn();
      const { access } = await jwtPair(svc, user.username);
      const res = await svc.call('DELETE', '/auth/users/me/', { current_password: PASSWORD }, bearer(access));
      assert.equal(res.status, 204);
    });
  });
});

describe('users/me/ with SEND_ACTIVATION_EMAIL (djoser 2.3)', () => {
  const svc = useService({ SEND_ACTIVATION_EMAIL: 'true', ...SITE });
  const barrier = mailBarrier(svc, { activation: true });

  const activeUser = async () => {
    const user = await register(svc);
    const res = await svc.call('POST', '/auth/users/activation/', linkParts(await nthMailTo(svc, user.email)));
    assert.equal(res.status, 204);
    return { user, token: await login(svc, user.username) };
  };

  it('changing the email → 200 with the new email, account inactive, activation email to the new address only', async () => {
    const { user, token } = await activeUser();
    const { access } = await jwtPair(svc, user.username);
    const address = `${unique('new')}@example.com`;
    const res = await svc.call('PATCH', '/auth/users/me/', { email: address }, auth(token));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { email: address, id: user.id, username: user.username });

    const byToken = await svc.call('GET', '/auth/users/me/', undefined, auth(token));
    assert.equal(byToken.status, 401);
    assert.deepEqual(byToken.body, { detail: 'User inactive or deleted.' });
    const byJwt = await svc.call('GET', '/auth/users/me/', undefined, bearer(access));
    assert.equal(byJwt.status, 401);
    assert.deepEqual(byJwt.body, { detail: 'User is inactive', code: 'user_inactive' });
    const relogin = await svc.call('POST', '/auth/token/login/', { username: user.username, password: PASSWORD });
    assert.deepEqual(relogin.body, { non_field_errors: ['Unable to log in with provided credentials.'] });

    const mail = await nthMailTo(svc, address);
    assert.equal(mail.subject, 'Account activation on Example');
    await barrier();
    assert.deepEqual(
      mailsTo(svc, user.email).map((m) => m.subject),
      ['Account activation on Example', 'Example - The email address of your account was changed'],
      'the first activation email, and (EMAIL_CHANGED_NOTICE) the notice of the change',
    );

    assert.equal((await svc.call('POST', '/auth/users/activation/', linkParts(mail))).status, 204);
    const back = await svc.call('GET', '/auth/users/me/', undefined, auth(token));
    assert.equal(back.status, 200, 'the same token works again once the new address is confirmed');
  });

  it('an update that leaves the email as it was → stays active, no activation email (2.1 would send one)', async () => {
    const { user, token } = await activeUser();
    const a = await svc.call('PUT', '/auth/users/me/', { email: user.email }, auth(token));
    assert.equal(a.status, 200);
    const b = await svc.call('PATCH', '/auth/users/me/', {}, auth(token));
    assert.equal(b.status, 200);
    assert.equal((await svc.call('GET', '/auth/users/me/', undefined, auth(token))).status, 200);
    await barrier();
    assert.equal(mailsTo(svc, user.email).length, 1, 'only the registration email');
  });

  it('a change of case only is a change (djoser compares the strings)', async () => {
    const { user, token } = await activeUser();
    const res = await svc.call('PATCH', '/auth/users/me/', { email: user.email.toUpperCase() }, auth(token));
    assert.equal(res.status, 200);
    assert.equal(res.body.email, user.email.toUpperCase());
    assert.equal((await svc.call('GET', '/auth/users/me/', undefined, auth(token))).status, 401);
  });
});

describe('users/me/ with EMAIL_UNIQUE (authstream setting)', () => {
  const svc = useService({ EMAIL_UNIQUE: 'true', ...SITE });

  it('PUT needs the email, PATCH does not; blank is refused; a taken email (any case) is refused', async () => {
    const other = await register(svc);
    const user = await register(svc);
    const token = await login(svc, user.username);
    const put = await svc.call('PUT', '/auth/users/me/', {}, auth(token));
    assert.equal(put.status, 400);
    assert.deepEqual(put.body, { email: ['This field is required.'] });
    const patch = await svc.call('PATCH', '/auth/users/me/', {}, auth(token));
    assert.equal(patch.status, 200);
    const blank = await svc.call('PATCH', '/auth/users/me/', { email: '' }, auth(token));
    assert.equal(blank.status, 400);
    assert.deepEqual(blank.body, { email: ['This field may not be blank.'] });
    const taken = await svc.call('PATCH', '/auth/users/me/', { email: other.email.toUpperCase() }, auth(token));
    assert.equal(taken.status, 400);
    assert.deepEqual(taken.body, { email: ['user with this email address already exists.'] });
    const own = await svc.call('PUT', '/auth/users/me/', { email: user.email }, auth(token));
    assert.equal(own.status, 200, 'keeping your own email is fine');
    const moved = await svc.call('PATCH', '/auth/users/me/', { email: `${unique('free')}@example.com` }, auth(token));
    assert.equal(moved.status, 200);
    // The old address is free again.
    const reuse = await svc.call('POST', '/auth/users/', { username: unique('reuse'), email: user.email, password: PASSWORD });
    assert.equal(reuse.status, 201, JSON.stringify(reuse.body));
  });
});
