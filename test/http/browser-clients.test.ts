// Browser clients (issue #10.10): CORS for the configured origins (preflights answered before authentication),
// security headers for a JSON API, a docs page that still works, and no caching of anything carrying a token.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.js';
import { useService, type TestService } from '../support/service.js';
import { PASSWORD, auth, bearer, jwtPair, login, register } from './helpers.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';

/** A raw request (fetch), so the test sees every header as a browser would get it. */
async function send(svc: TestService, method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await fetch(new URL(path, svc.url), {
    method,
    headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
}

const preflight = (origin: string, method = 'POST', requestHeaders = 'authorization,content-type') => ({
  Origin: origin,
  'Access-Control-Request-Method': method,
  'Access-Control-Request-Headers': requestHeaders,
});

describe('CORS with allowed origins and credentials', () => {
  const svc = useService({
    CORS_ALLOWED_ORIGINS: `${APP}, http://localhost:3000`,
    CORS_ALLOWED_ORIGIN_REGEXES: String.raw`^https://[a-z0-9-]+\.preview\.example\.com$`,
    CORS_ALLOW_CREDENTIALS: 'true',
  });

  it('a browser preflight from an allowed origin: 204 with the CORS headers, before authentication', async () => {
    // A bad credential would be a 401 in DRF's pipeline; the preflight never gets there.
    const res = await send(svc, 'OPTIONS', '/auth/users/me/', { ...preflight(APP, 'PATCH'), Authorization: 'Token nonsense' });
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.equal(res.headers.get('access-control-allow-methods'), 'DELETE,GET,OPTIONS,PATCH,POST,PUT');
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /(^|,)authorization(,|$)/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /(^|,)content-type(,|$)/);
    assert.equal(res.headers.get('access-control-max-age'), '86400');
    assert.match(res.headers.get('vary') ?? '', /Origin/);
  });

  it('preflights for any path under /auth/, unknown ones included, and from an origin matching a regex', async () => {
    for (const path of ['/auth/token/login/', '/auth/jwt/create/', '/auth/users/', '/auth/nope/']) {
      const res = await send(svc, 'OPTIONS', path, preflight(APP));
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-origin'), APP, path);
    }
    const preview = 'https://pr-42.preview.example.com';
    const res = await send(svc, 'OPTIONS', '/auth/users/', preflight(preview));
    assert.equal(res.headers.get('access-control-allow-origin'), preview);
    const lookalike = await send(svc, 'OPTIONS', '/auth/users/', preflight('https://pr-42.preview.example.com.evil.net'));
    assert.equal(lookalike.headers.get('access-control-allow-origin'), null);
  });

  it('an origin not allowed: its preflight is answered without CORS headers, and so is its request', async () => {
    const pre = await send(svc, 'OPTIONS', '/auth/token/login/', preflight(EVIL));
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    assert.equal(pre.headers.get('access-control-allow-credentials'), null);
    assert.equal(pre.headers.get('access-control-allow-methods'), null);
    const user = await register(svc);
    const res = await send(svc, 'POST', '/auth/token/login/', { Origin: EVIL }, { username: user.username, password: PASSWORD });
    // The server answers (CORS is the browser's rule), but no browser lets the page read it.
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
    // The token is not cached on the way, whoever asked (the CORS check once skipped what came after it here).
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const sameOrigin = await send(svc, 'POST', '/auth/token/login/', {}, { username: user.username, password: PASSWORD });
    assert.equal(sameOrigin.status, 200);
    assert.equal(sameOrigin.headers.get('cache-control'), 'no-store');
  });

  it('a cross-origin request with credentials: the origin echoed (never *), credentials allowed, Retry-After exposed', async () => {
    const user = await register(svc);
    const token = await login(svc, user.username);
    const res = await send(svc, 'GET', '/auth/users/me/', { Origin: APP, ...auth(token) });
    assert.equal(res.status, 200);
    assert.equal(res.body.username, user.username);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Retry-After/);
    // Errors carry the CORS headers too, so the page can read why.
    const denied = await send(svc, 'GET', '/auth/users/me/', { Origin: APP });
    assert.equal(denied.status, 401);
    assert.equal(denied.headers.get('access-control-allow-origin'), APP);
  });

  it("a plain OPTIONS (no Access-Control-Request-Method) keeps DRF's answer", async () => {
    const res = await send(svc, 'OPTIONS', '/auth/token/login/');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {});
    assert.equal(res.headers.get('allow'), 'POST, OPTIONS');
    const fromPage = await send(svc, 'OPTIONS', '/auth/token/login/', { Origin: APP });
    assert.equal(fromPage.status, 200);
    assert.deepEqual(fromPage.body, {});
    assert.equal(fromPage.headers.get('access-control-allow-origin'), APP);
  });
});

describe('CORS without credentials', () => {
  const svc = useService({ CORS_ALLOWED_ORIGINS: APP });

  it('a simple cross-origin request: Access-Control-Allow-Origin, no -Credentials', async () => {
    const user = await register(svc);
    const { access } = await jwtPair(svc, user.username);
    const res = await send(svc, 'GET', '/auth/users/me/', { Origin: APP, ...bearer(access) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), APP);
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
    const pre = await send(svc, 'OPTIONS', '/auth/users/me/', preflight(APP, 'GET'));
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-credentials'), null);
  });
});

describe('no CORS by default', () => {
  const svc = useService({});

  it("no CORS headers on any answer; a preflight gets DRF's OPTIONS answer", async () => {
    const pre = await send(svc, 'OPTIONS', '/auth/token/login/', preflight(APP));
    assert.equal(pre.status, 200);
    assert.deepEqual(pre.body, {});
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
    const res = await send(svc, 'POST', '/auth/token/login/', { Origin: APP }, { username: 'x', password: 'y' });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  it('security headers on every answer: a JSON API may load, run and be framed by nothing', async () => {
    for (const path of ['/auth/users/me/', '/auth/nope/', '/elsewhere']) {
      const res = await send(svc, 'GET', path);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=\d+/, path);
      assert.equal(res.headers.get('cross-origin-resource-policy'), 'same-origin', path);
      assert.equal(res.headers.get('x-powered-by'), null, path);
    }
  });

  it('the docs page gets a CSP it can work under: its own scripts and styles, nothing inline-scripted, no framing', async () => {
    const res = await send(svc, 'GET', '/auth/docs/');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    assert.match(csp, /style-src 'self'/);
    assert.match(csp, /img-src 'self' data:/);
    assert.match(csp, /connect-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
  });

  it('Cache-Control: no-store and Pragma: no-cache on every answer carrying a token, and on every /auth/ answer', async () => {
    const user = await register(svc);
    const answers = {
      'token/login/': await send(svc, 'POST', '/auth/token/login/', {}, { username: user.username, password: PASSWORD }),
      'jwt/create/': await send(svc, 'POST', '/auth/jwt/create/', {}, { username: user.username, password: PASSWORD }),
    };
    assert.ok(answers['token/login/'].body.auth_token);
    const { refresh, access } = answers['jwt/create/'].body as { refresh: string; access: string };
    Object.assign(answers, {
      'jwt/refresh/': await send(svc, 'POST', '/auth/jwt/refresh/', {}, { refresh }),
      'jwt/verify/': await send(svc, 'POST', '/auth/jwt/verify/', {}, { token: access }),
      'users/me/': await send(svc, 'GET', '/auth/users/me/', bearer(access)),
      'a 400': await send(svc, 'POST', '/auth/token/login/', {}, { username: user.username, password: 'wrong' }),
      'a 404': await send(svc, 'GET', '/auth/nope/'),
    });
    for (const [name, res] of Object.entries(answers)) {
      assert.equal(res.headers.get('cache-control'), 'no-store', name);
      assert.equal(res.headers.get('pragma'), 'no-cache', name);
    }
  });
});

describe('CORS settings', () => {
  it('origins must be origins; regexes must compile; credentials default off; a preflight cache of a day', () => {
    const config = loadConfig({});
    assert.deepEqual(config.CORS_ALLOWED_ORIGINS, []);
    assert.deepEqual(config.CORS_ALLOWED_ORIGIN_REGEXES, []);
    assert.equal(config.CORS_ALLOW_CREDENTIALS, false);
    assert.equal(config.CORS_PREFLIGHT_MAX_AGE, 86_400);
    assert.deepEqual(loadConfig({ CORS_ALLOWED_ORIGINS: 'https://a.example, http://localhost:3000' }).CORS_ALLOWED_ORIGINS, [
      'https://a.example',
      'http://localhost:3000',
    ]);
    for (const bad of ['https://a.example/', 'a.example', '*', 'https://a.example/path']) {
      assert.throws(() => loadConfig({ CORS_ALLOWED_ORIGINS: bad }), /CORS_ALLOWED_ORIGINS/, bad);
    }
    assert.deepEqual(
      loadConfig({ CORS_ALLOWED_ORIGIN_REGEXES: String.raw`^https://a{1,3}\.example$  ^http://x$` }).CORS_ALLOWED_ORIGIN_REGEXES,
      [String.raw`^https://a{1,3}\.example$`, '^http://x$'],
    );
    assert.throws(() => loadConfig({ CORS_ALLOWED_ORIGIN_REGEXES: '^(unclosed' }), /CORS_ALLOWED_ORIGIN_REGEXES/);
  });
});
