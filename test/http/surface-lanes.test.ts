// Requests under a surface's prefix skip express's app router (src/http/surface-lanes.ts); every other request goes
// through it. Both ways must answer alike: the app-wide headers and access log, the surface's own middleware (CORS,
// no-store, the dj-rest-auth surface's), its 404 and the app's error handler.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../support/service.js';
import { auth, login, register } from './helpers.js';

const APP = 'https://app.example.com';

describe('requests by surface prefix, and through the app router', () => {
  const svc = useService({ CORS_ALLOWED_ORIGINS: APP, DJ_REST_AUTH_PREFIX: '/dj-rest-auth/' });

  const appWide = (res: { headers: Headers }, what: string) => {
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
    assert.match(res.headers.get('x-request-id') ?? '', /^[\w-]{8,}$/, what);
  };

  it("the surface's 404, under its prefix and at the bare prefix, with the app-wide headers", async () => {
    for (const path of ['/auth/nope/', '/auth/users/me', '/auth', '/auth?x=1', '/dj-rest-auth/nope/']) {
      const res = await svc.call('GET', path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { detail: 'Not found.' }, path);
      appWide(res, path);
    }
    // The app's own 404 beyond every prefix, and a prefix that only starts alike.
    for (const path of ['/nowhere/', '/authx/users/']) assert.deepEqual((await svc.call('GET', path)).body, { detail: 'Not found.' });
  });

  it('endpoints with and without path parameters, a query string, CORS and no-store', async () => {
    const user = await register(svc);
    const token = await login(svc, user.username);
    const me = await svc.call('GET', '/auth/users/me/?fields=all', undefined, { ...auth(token), Origin: APP });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, user.username);
    assert.equal(me.headers.get('access-control-allow-origin'), APP);
    assert.equal(me.headers.get('cache-control'), 'no-store');
    appWide(me, 'users/me/');
    const byId = await svc.call('GET', `/auth/users/${user.id}/`, undefined, auth(token));
    assert.equal(byId.status, 200);
    assert.equal(byId.body.id, user.id);
    const djRestAuth = await svc.call('GET', '/dj-rest-auth/user/', undefined, auth(token));
    assert.equal(djRestAuth.status, 200);
    assert.equal(djRestAuth.body.username, user.username);
  });

  it("errors reach the app's error handler: malformed JSON is DRF's 400", async () => {
    const res = await svc.call('POST', '/auth/users/', '{"username": ');
    assert.equal(res.status, 400);
    assert.match(res.body.detail, /^JSON parse error - /);
    appWide(res, 'malformed JSON');
  });

  it('health and the JWKS document still go through the app router', async () => {
    const health = await svc.call('GET', '/health');
    assert.equal(health.status, 200);
    appWide(health, 'health');
    // HS256 (the default) publishes no keys: the route's own 404.
    const jwks = await svc.call('GET', '/.well-known/jwks.json');
    assert.equal(jwks.status, 404);
    assert.deepEqual(jwks.body, { detail: 'Not found.' });
    appWide(jwks, 'jwks');
  });
});
