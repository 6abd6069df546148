// token/login/, token/logout/ and DRF's TokenAuthentication header handling (docs/djoser-reference.md §0.4, §6, §7).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../support/service.js';
import { CANNOT_LOG_IN, NOT_AUTHENTICATED, PASSWORD, TOKEN_KEY, auth, bearer, jwtPair, login, register, unique } from './helpers.js';

describe('token/login/ and token/logout/', () => {
  const svc = useService();

  const tokenLogin = (body: unknown) => svc.call('POST', '/auth/token/login/', body);
  const me = (headers: Record<string, string>) => svc.call('GET', '/auth/users/me/', undefined, headers);

  describe('login', () => {
    it('200 {"auth_token": <40 hex>}; the same key on every login (get_or_create)', async () => {
      const user = await register(svc);
      const a = await tokenLogin({ username: user.username, password: PASSWORD });
      assert.equal(a.status, 200);
      assert.deepEqual(Object.keys(a.body), ['auth_token']);
      assert.match(a.body.auth_token, TOKEN_KEY);
      const b = await tokenLogin({ username: user.username, password: PASSWORD });
      assert.equal(b.body.auth_token, a.body.auth_token);
      assert.deepEqual((await me(auth(a.body.auth_token))).body, { email: user.email, id: user.id, username: user.username });
    });

    it('different users get different keys', async () => {
      const a = await login(svc, (await register(svc)).username);
      const b = await login(svc, (await register(svc)).username);
      assert.notEqual(a, b);
    });

    it('username and password are trimmed; unknown fields ignored', async () => {
      const user = await register(svc);
      const res = await tokenLogin({ username: ` ${user.username} `, password: ` ${PASSWORD}  `, email: 'x' });
      assert.equal(res.status, 200);
    });

    it('the username matches case-insensitively (deliberate: usernames are unique case-insensitively)', async () => {
      // djoser's ModelBackend looks the username up exactly, so there "ALICE" would not log in as "alice".
      const user = await register(svc);
      const res = await tokenLogin({ username: user.username.toUpperCase(), password: PASSWORD });
      assert.equal(res.status, 200);
      assert.equal(res.body.auth_token, await login(svc, user.username));
    });

    it('missing fields → non_field_errors (both fields are optional in the serializer)', async () => {
      const user = await register(svc);
      for (const body of [{}, { username: user.username }, { password: PASSWORD }]) {
        const res = await tokenLogin(body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.deepEqual(res.body, CANNOT_LOG_IN, JSON.stringify(body));
      }
      const none = await svc.call('POST', '/auth/token/login/');
      assert.equal(none.status, 400);
      assert.deepEqual(none.body, CANNOT_LOG_IN);
    });

    it('present but bad values → field errors, password first (its declared order)', async () => {
      const a = await tokenLogin({ username: '', password: '' });
      assert.equal(a.status, 400);
      assert.deepEqual(a.body, { password: ['This field may not be blank.'], username: ['This field may not be blank.'] });
      assert.deepEqual(Object.keys(a.body), ['password', 'username']);
      const b = await tokenLogin({ username: null, password: ['x'] });
      assert.equal(b.status, 400);
      assert.deepEqual(b.body, { password: ['Not a valid string.'], username: ['This field may not be null.'] });
      const c = await tokenLogin({ username: { $ne: '' }, password: { $ne: '' } });
      assert.equal(c.status, 400);
      assert.deepEqual(c.body, { password: ['Not a valid string.'], username: ['Not a valid string.'] });
    });

    it('wrong password or unknown user → 400 non_field_errors', async () => {
      const user = await register(svc);
      const a = await tokenLogin({ username: user.username, password: 'wrong-password' });
      assert.equal(a.status, 400);
      assert.deepEqual(a.body, CANNOT_LOG_IN);
      const b = await tokenLogin({ username: unique('ghost'), password: PASSWORD });
      assert.equal(b.status, 400);
      assert.deepEqual(b.body, CANNOT_LOG_IN);
    });

    it('works without the trailing slash (djoser: token/login/?$)', async () => {
      const user = await register(svc);
      const res = await svc.call('POST', '/auth/token/login', { username: user.username, password: PASSWORD });
      assert.equal(res.status, 200);
    });

    it('malformed JSON → 400 parse error; text/plain → 415', async () => {
      const a = await tokenLogin('{bad');
      assert.equal(a.status, 400);
      assert.match(a.body.detail, /^JSON parse error - /);
      const b = await svc.call('POST', '/auth/token/login/', 'x', { 'content-type': 'text/plain' });
      assert.equal(b.status, 415);
      assert.deepEqual(b.body, { detail: 'Unsupported media type "text/plain" in request.' });
    });
  });

  describe('logout', () => {
    it('204 empty; the key stops working (401 Invalid token.); the next login gets a new key', async () => {
      const user = await register(svc);
      const token = await login(svc, user.username);
      const res = await svc.call('POST', '/auth/token/logout/', undefined, auth(token));
      assert.equal(res.status, 204);
      assert.equal(res.body, null);
      const after = await me(auth(token));
      assert.equal(after.status, 401);
      assert.deepEqual(after.body, { detail: 'Invalid token.' });
      assert.equal(after.headers.get('www-authenticate'), 'Token');
      const again = await svc.call('POST', '/auth/token/logout/', undefined, auth(token));
      assert.equal(again.status, 401);
      assert.deepEqual(again.body, { detail: 'Invalid token.' });
      const fresh = await login(svc, user.username);
      assert.notEqual(fresh, token);
      assert.equal((await me(auth(fresh))).status, 200);
    });

    it('anonymous → 401 Authentication credentials were not provided.', async () => {
      const res = await svc.call('POST', '/auth/token/logout/');
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, NOT_AUTHENTICATED);
      assert.equal(res.headers.get('www-authenticate'), 'Token');
    });

    it('authenticated by JWT: 204 and the auth token is deleted too; the JWT keeps working', async () => {
      const user = await register(svc);
      const token = await login(svc, user.username);
      const { access } = await jwtPair(svc, user.username);
      const res = await svc.call('POST', '/auth/token/logout/', undefined, bearer(access));
      assert.equal(res.status, 204);
      assert.equal((await me(auth(token))).status, 401);
      assert.equal((await me(bearer(access))).status, 200);
    });

    it('without a token to delete (JWT user who never logged in with a token) → still 204', async () => {
      const user = await register(svc);
      const { access } = await jwtPair(svc, user.username);
      const res = await svc.call('POST', '/auth/token/logout', undefined, bearer(access));
      assert.equal(res.status, 204);
    });
  });

  describe('Authorization: Token header', () => {
    it('"Token" alone → 401 No credentials provided', async () => {
      const res = await me({ Authorization: 'Token' });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'Invalid token header. No credentials provided.' });
      assert.equal(res.headers.get('www-authenticate'), 'Token');
    });

    it('"Token a b" → 401 should not contain spaces', async () => {
      const res = await me({ Authorization: 'Token a b' });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'Invalid token header. Token string should not contain spaces.' });
    });

    it('bytes that are not UTF-8 → 401 should not contain invalid characters', async () => {
      const res = await me({ Authorization: 'Token \u00ff\u00fe' });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'Invalid token header. Token string should not contain invalid characters.' });
    });

    it('a non-breaking space (0xA0) is not a separator for DRF: it is an invalid character', async () => {
      const res = await me({ Authorization: 'Token abc\u00a0def' });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'Invalid token header. Token string should not contain invalid characters.' });
    });

    it('unknown key → 401 Invalid token.; the keyword is case-insensitive', async () => {
      for (const header of ['Token 0123456789abcdef0123456789abcdef01234567', 'TOKEN zzz', 'token zzz']) {
        const res = await me({ Authorization: header });
        assert.equal(res.status, 401, header);
        assert.deepEqual(res.body, { detail: 'Invalid token.' }, header);
        assert.equal(res.headers.get('www-authenticate'), 'Token', header);
      }
      const user = await register(svc);
      const token = await login(svc, user.username);
      assert.equal((await me({ Authorization: `token ${token}` })).status, 200);
      assert.equal((await me({ Authorization: `TOKEN   ${token}` })).status, 200, 'runs of whitespace separate');
    });

    it('another scheme (Basic) is not ours: the request is anonymous', async () => {
      const res = await me({ Authorization: 'Basic dXNlcjpwYXNz' });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, NOT_AUTHENTICATED);
      const reg = await svc.call(
        'POST',
        '/auth/users/',
        { username: unique('basic'), password: PASSWORD },
        { Authorization: 'Basic dXNlcjpwYXNz' },
      );
      assert.equal(reg.status, 201);
    });

    it('an empty Authorization header is anonymous', async () => {
      const res = await me({ Authorization: '' });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, NOT_AUTHENTICATED);
    });

    it('header errors come before everything, on AllowAny endpoints too (not on jwt/*)', async () => {
      const a = await svc.call('POST', '/auth/token/login/', {}, { Authorization: 'Token' });
      assert.equal(a.status, 401);
      assert.deepEqual(a.body, { detail: 'Invalid token header. No credentials provided.' });
      const b = await svc.call('POST', '/auth/users/reset_password/', { email: 'x@example.com' }, { Authorization: 'Token nope' });
      assert.equal(b.status, 401);
      assert.deepEqual(b.body, { detail: 'Invalid token.' });
      const user = await register(svc);
      const c = await svc.call(
        'POST',
        '/auth/jwt/create/',
        { username: user.username, password: PASSWORD },
        { Authorization: 'Token nope' },
      );
      assert.equal(c.status, 200, 'simplejwt views have no authentication classes');
    });
  });
});

describe('token/login/ with SEND_ACTIVATION_EMAIL', () => {
  const svc = useService({ SEND_ACTIVATION_EMAIL: 'true' });

  it('an inactive account → 400 non_field_errors (never "User account is disabled.")', async () => {
    const user = await register(svc);
    const res = await svc.call('POST', '/auth/token/login/', { username: user.username, password: PASSWORD });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, CANNOT_LOG_IN);
    const wrong = await svc.call('POST', '/auth/token/login/', { username: user.username, password: 'wrong-password' });
    assert.deepEqual(wrong.body, CANNOT_LOG_IN);
  });
});
