// JWT mode with cookies for browsers (docs/dj-rest-auth-reference.md §0.4, §3, §12-§14): the cookies' attributes,
// authentication by the access cookie, CSRF, token/refresh/ from the refresh cookie, logout/ clearing the cookies and
// blacklisting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../../support/service.js';
import { newCsrfToken } from '../../../src/http/dj-rest-auth/csrf.js';
import { BASE_ENV, PASSWORD, bearer, cookie, dra, newUser, signUp, type Answer } from './support.js';
import { decodeJwt } from '../helpers.js';

const COOKIES = { REST_AUTH_USE_JWT: 'true', REST_AUTH_JWT_AUTH_COOKIE: 'app-auth', REST_AUTH_JWT_AUTH_REFRESH_COOKIE: 'app-refresh' };
const ENV = { ...BASE_ENV, ...COOKIES, ACCOUNT_EMAIL_VERIFICATION: 'none' };
const BEARER = 'Bearer realm="api"';

async function logIn(svc: Parameters<typeof dra>[0]) {
  const user = newUser();
  await signUp(svc, user, 201);
  const res = await dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return {
    user,
    res,
    access: cookie(res, 'app-auth').value,
    refresh: cookie(res, 'app-refresh').value,
    csrf: cookie(res, 'csrftoken').value,
  };
}

describe('dj-rest-auth JWT cookies, default attributes', () => {
  const svc = useService(ENV);

  it('login sets both cookies (HttpOnly, SameSite=Lax, Path=/, Max-Age = the lifetimes) and answers refresh ""', async () => {
    const { res, access, refresh } = await logIn(svc);
    assert.deepEqual(Object.keys(res.body), ['access', 'refresh', 'user']);
    assert.equal(res.body.refresh, '');
    assert.equal(res.body.access, access);
    const a = cookie(res, 'app-auth');
    assert.deepEqual(a.attrs, { expires: a.attrs.expires, httponly: true, 'max-age': '300', path: '/', samesite: 'Lax' });
    assert.match(String(a.attrs.expires), /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
    const r = cookie(res, 'app-refresh');
    assert.deepEqual(r.attrs, { expires: r.attrs.expires, httponly: true, 'max-age': '86400', path: '/', samesite: 'Lax' });
    assert.equal(decodeJwt(refresh).payload.token_type, 'refresh');
    // The CSRF token a cookie client sends back in X-CSRFToken: readable by the page (no HttpOnly).
    const csrf = cookie(res, 'csrftoken');
    assert.match(csrf.value, /^[A-Za-z0-9]{64}$/);
    assert.equal(csrf.attrs.httponly, undefined);
    assert.equal(res.cookies[0]!.split(';')[0]!.split('=')[0], 'app-auth', 'written as Django writes them: access, refresh');
  });

  it('the access cookie authenticates safe requests; a header wins over it; a bad cookie is a 401 even on login/', async () => {
    const { user, access } = await logIn(svc);
    assert.equal((await dra(svc, 'GET', 'user/', undefined, { cookies: { 'app-auth': access } })).body.username, user.username);
    assert.equal((await dra(svc, 'GET', 'user/', undefined, { ...bearer(access), cookies: { 'app-auth': 'garbage' } })).status, 200);
    const bad = await dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD }, { cookies: { 'app-auth': 'garbage' } });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('www-authenticate'), BEARER);
    assert.equal(bad.body.code, 'token_not_valid');
    const anonymous = await dra(svc, 'GET', 'user/');
    assert.deepEqual([anonymous.status, anonymous.headers.get('www-authenticate')], [401, BEARER]);
  });

  it('CSRF: an unsafe request the cookie authenticates needs the csrftoken cookie and a matching X-CSRFToken', async () => {
    const { access, csrf } = await logIn(svc);
    const patch = (options: Parameters<typeof dra>[4]) => dra(svc, 'PATCH', 'user/', { first_name: 'Eve' }, options);
    assert.deepEqual((await patch({ cookies: { 'app-auth': access } })).body, { detail: 'CSRF Failed: CSRF cookie not set.' });
    assert.deepEqual((await patch({ cookies: { 'app-auth': access, csrftoken: csrf } })).body, {
      detail: 'CSRF Failed: CSRF token missing or incorrect.',
    });
    const wrong = await patch({ cookies: { 'app-auth': access, csrftoken: csrf }, headers: { 'X-CSRFToken': newCsrfToken() } });
    assert.equal(wrong.status, 403);
    // The header may carry another masking of the same secret, as Django's does.
    const ok = await patch({ cookies: { 'app-auth': access, csrftoken: csrf }, headers: { 'X-CSRFToken': csrf } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.first_name, 'Eve');
    // A Bearer header is no cookie: no CSRF.
    assert.equal((await dra(svc, 'PATCH', 'user/', { first_name: 'Bo' }, bearer(access))).status, 200);
  });

  it('token/refresh/ from the refresh cookie sets a new access cookie (no CSRF: it authenticates nobody)', async () => {
    const { refresh } = await logIn(svc);
    const res = await dra(svc, 'POST', 'token/refresh/', {}, { cookies: { 'app-refresh': refresh } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body), ['access', 'access_expiration']);
    assert.match(res.body.access_expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(cookie(res, 'app-auth').value, res.body.access);
    assert.equal(res.cookies.length, 1);
    const none = await dra(svc, 'POST', 'token/refresh/', {});
    assert.deepEqual([none.status, none.body], [401, { detail: 'No valid refresh token found.', code: 'token_not_valid' }]);
    assert.deepEqual((await dra(svc, 'POST', 'token/refresh/', { refresh: '' }, { cookies: { 'app-refresh': refresh } })).body, {
      refresh: ['This field may not be blank.'],
    });
  });

  it('logout/ (with CSRF) clears both cookies and blacklists the refresh cookie: it refreshes no more, nor its access tokens work', async () => {
    const { access, refresh, csrf } = await logIn(svc);
    const res = await dra(svc, 'POST', 'logout/', undefined, {
      cookies: { 'app-auth': access, 'app-refresh': refresh, csrftoken: csrf },
      headers: { 'X-CSRFToken': csrf },
    });
    assert.deepEqual([res.status, res.body], [200, { detail: 'Successfully logged out.' }]);
    assert.deepEqual(res.cookies, [
      'app-auth=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax',
      'app-refresh=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax',
    ]);
    const again = await dra(svc, 'POST', 'token/refresh/', { refresh });
    assert.deepEqual([again.status, again.body], [401, { detail: 'Token is blacklisted', code: 'token_not_valid' }]);
    assert.equal((await dra(svc, 'GET', 'user/', undefined, bearer(access))).status, 401);
  });

  it('logout/ with the refresh token in the body; again: 401 blacklisted, cookies cleared anyway; an access token: 401', async () => {
    const { access, refresh } = await logIn(svc);
    const clears = (res: Answer) => assert.equal(res.cookies.length, 2);
    const wrongType = await dra(svc, 'POST', 'logout/', { refresh: access });
    assert.deepEqual([wrongType.status, wrongType.body], [401, { detail: 'Token has wrong type' }]);
    clears(wrongType);
    const first = await dra(svc, 'POST', 'logout/', { refresh });
    assert.equal(first.status, 200);
    const second = await dra(svc, 'POST', 'logout/', { refresh });
    assert.deepEqual([second.status, second.body, second.headers.get('www-authenticate')], [401, { detail: 'Token is blacklisted' }, null]);
    clears(second);
    const missing = await dra(svc, 'POST', 'logout/', {});
    assert.deepEqual([missing.status, missing.body], [401, { detail: 'Refresh token was not included in request data.' }]);
  });
});

describe('dj-rest-auth JWT cookies: Secure, SameSite=None, the refresh cookie path, HttpOnly off, expirations', () => {
  const svc = useService({
    ...ENV,
    REST_AUTH_JWT_AUTH_SECURE: 'true',
    REST_AUTH_JWT_AUTH_SAMESITE: 'None',
    REST_AUTH_JWT_AUTH_HTTPONLY: 'false',
    REST_AUTH_JWT_AUTH_REFRESH_COOKIE_PATH: '/dj-rest-auth/token/refresh/',
    REST_AUTH_JWT_AUTH_RETURN_EXPIRATION: 'true',
    ACCESS_TOKEN_LIFETIME: '120',
    DJ_REST_AUTH_TOKEN_BLACKLIST: 'false',
  });

  it('the attributes follow the settings; deletions keep SameSite and add Secure only for SameSite=None', async () => {
    const { res, access, csrf } = await logIn(svc);
    assert.deepEqual(Object.keys(res.body), ['access', 'refresh', 'user', 'access_expiration', 'refresh_expiration']);
    assert.notEqual(res.body.refresh, '');
    const a = cookie(res, 'app-auth');
    assert.deepEqual(a.attrs, { expires: a.attrs.expires, 'max-age': '120', path: '/', samesite: 'None', secure: true });
    const r = cookie(res, 'app-refresh');
    assert.deepEqual(r.attrs, {
      expires: r.attrs.expires,
      'max-age': '86400',
      path: '/dj-rest-auth/token/refresh/',
      samesite: 'None',
      secure: true,
    });
    const out = await dra(svc, 'POST', 'logout/', undefined, {
      cookies: { 'app-auth': access, csrftoken: csrf },
      headers: { 'X-CSRFToken': csrf },
    });
    assert.deepEqual([out.status, out.body], [200, { detail: 'Successfully logged out.' }]);
    assert.deepEqual(out.cookies, [
      'app-auth=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=None; Secure',
      'app-refresh=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/dj-rest-auth/token/refresh/; SameSite=None; Secure',
    ]);
  });
});

describe('dj-rest-auth CSRF settings', () => {
  describe('JWT_AUTH_COOKIE_USE_CSRF: checked before the token, on AllowAny endpoints too', () => {
    const svc = useService({ ...ENV, REST_AUTH_JWT_AUTH_COOKIE_USE_CSRF: 'true' });
    it('a leftover (even garbage) access cookie needs CSRF on login/ and logout/', async () => {
      const { user } = await logIn(svc);
      const body = { username: user.username, password: PASSWORD };
      assert.deepEqual((await dra(svc, 'POST', 'login/', body, { cookies: { 'app-auth': 'garbage' } })).body, {
        detail: 'CSRF Failed: CSRF cookie not set.',
      });
      const csrf = newCsrfToken();
      const withCsrf = await dra(svc, 'POST', 'logout/', undefined, {
        cookies: { 'app-auth': 'garbage', csrftoken: csrf },
        headers: { 'X-CSRFToken': csrf },
      });
      assert.equal(withCsrf.status, 401, 'past CSRF, the garbage token is refused');
      assert.equal((await dra(svc, 'POST', 'login/', body)).status, 200, 'no cookie, no check');
    });
  });

  describe('JWT_AUTH_COOKIE_ENFORCE_CSRF_ON_UNAUTHENTICATED: every request without Authorization', () => {
    const svc = useService({ ...ENV, REST_AUTH_JWT_AUTH_COOKIE_ENFORCE_CSRF_ON_UNAUTHENTICATED: 'true' });
    it('login/ and registration/ need CSRF; a client-made token pair (Django-style) passes; Bearer and token/* skip it', async () => {
      const user = newUser();
      const register = { username: user.username, email: user.email, password1: PASSWORD, password2: PASSWORD };
      assert.deepEqual((await dra(svc, 'POST', 'registration/', register)).body, { detail: 'CSRF Failed: CSRF cookie not set.' });
      const csrf = newCsrfToken();
      const pass = { cookies: { csrftoken: csrf }, headers: { 'X-CSRFToken': csrf } };
      assert.equal((await dra(svc, 'POST', 'registration/', register, pass)).status, 201);
      assert.equal((await dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD })).status, 403);
      const res = await dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD }, pass);
      assert.equal(res.status, 200);
      assert.equal(
        (
          await dra(
            svc,
            'POST',
            'password/change/',
            { new_password1: 'battery-Staple-8', new_password2: 'battery-Staple-8' },
            bearer(res.body.access),
          )
        ).status,
        200,
      );
      assert.equal((await dra(svc, 'POST', 'token/verify/', { token: res.body.access })).status, 200);
      assert.equal((await dra(svc, 'GET', 'user/')).status, 401, 'safe methods pass CSRF');
    });
  });
});

describe('dj-rest-auth JWT without cookies or blacklist', () => {
  const svc = useService({
    ...BASE_ENV,
    ACCOUNT_EMAIL_VERIFICATION: 'none',
    REST_AUTH_USE_JWT: 'true',
    REST_AUTH_JWT_AUTH_HTTPONLY: 'false',
    DJ_REST_AUTH_TOKEN_BLACKLIST: 'false',
  });

  it('login answers the pair, no cookies; logout says nothing was deleted server side; a Token header is anonymous', async () => {
    const user = newUser();
    await signUp(svc, user, 201);
    const res = await dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD });
    assert.deepEqual(res.cookies, []);
    assert.equal(decodeJwt(res.body.refresh).payload.token_type, 'refresh');
    const out = await dra(svc, 'POST', 'logout/', undefined, bearer(res.body.access));
    assert.match(out.body.detail, /^Neither cookies or blacklist are enabled/);
    assert.equal((await dra(svc, 'GET', 'user/', undefined, { headers: { Authorization: 'Token abc' } })).status, 401);
  });
});

describe('dj-rest-auth JWT rotation', () => {
  const svc = useService({ ...ENV, ROTATE_REFRESH_TOKENS: 'true', BLACKLIST_AFTER_ROTATION: 'true' });

  it('token/refresh/ rotates (both cookies, the new refresh in the body); the old refresh, reused, revokes the session', async () => {
    const { refresh } = await logIn(svc);
    const res = await dra(svc, 'POST', 'token/refresh/', {}, { cookies: { 'app-refresh': refresh } });
    assert.deepEqual(Object.keys(res.body), ['access', 'refresh', 'access_expiration', 'refresh_expiration']);
    assert.equal(cookie(res, 'app-refresh').value, res.body.refresh);
    const reused = await dra(svc, 'POST', 'token/refresh/', { refresh });
    assert.deepEqual([reused.status, reused.body.detail], [401, 'Token is blacklisted']);
    assert.deepEqual((await dra(svc, 'POST', 'token/verify/', { token: refresh })).body, { non_field_errors: ['Token is blacklisted'] });
    assert.equal((await dra(svc, 'POST', 'token/refresh/', { refresh: res.body.refresh })).status, 401, 'the whole session');
  });
});

describe('dj-rest-auth password/change/ in one JWT session', () => {
  const svc = useService(ENV);

  it('ends every other session of the account (their access and refresh tokens), and keeps the one it was made in', async () => {
    const { user, access, refresh } = await logIn(svc);
    const other = await dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD });
    const otherAccess = cookie(other, 'app-auth').value;
    const otherRefresh = cookie(other, 'app-refresh').value;
    const changed = await dra(
      svc,
      'POST',
      'password/change/',
      { new_password1: 'battery-Staple-8', new_password2: 'battery-Staple-8' },
      bearer(access),
    );
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal((await dra(svc, 'GET', 'user/', undefined, bearer(access))).status, 200, 'the session it was made in');
    assert.equal((await dra(svc, 'POST', 'token/refresh/', { refresh })).status, 200);
    assert.equal((await dra(svc, 'GET', 'user/', undefined, bearer(otherAccess))).status, 401, 'the other session');
    assert.equal((await dra(svc, 'POST', 'token/refresh/', { refresh: otherRefresh })).status, 401);
  });
});
