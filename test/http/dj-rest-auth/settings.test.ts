// The surface's settings (src/config.ts): names and defaults as dj-rest-auth's REST_AUTH and allauth's ACCOUNT_*,
// allauth's start-up assertions, DJ_REST_AUTH_PREFIX mounting the surface, and the OpenAPI document listing it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { useService } from '../../support/service.js';
import { BASE_ENV, dra } from './support.js';

describe('dj-rest-auth settings', () => {
  it('have dj-rest-auth 4.0.1 and allauth 0.51 defaults', () => {
    const c = loadConfig({});
    assert.equal(c.DJ_REST_AUTH_PREFIX, undefined);
    assert.deepEqual(
      {
        USE_JWT: c.REST_AUTH_USE_JWT,
        SESSION_LOGIN: c.REST_AUTH_SESSION_LOGIN,
        OLD_PASSWORD_FIELD_ENABLED: c.REST_AUTH_OLD_PASSWORD_FIELD_ENABLED,
        LOGOUT_ON_PASSWORD_CHANGE: c.REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE,
        JWT_AUTH_COOKIE: c.REST_AUTH_JWT_AUTH_COOKIE,
        JWT_AUTH_REFRESH_COOKIE: c.REST_AUTH_JWT_AUTH_REFRESH_COOKIE,
        JWT_AUTH_REFRESH_COOKIE_PATH: c.REST_AUTH_JWT_AUTH_REFRESH_COOKIE_PATH,
        JWT_AUTH_SECURE: c.REST_AUTH_JWT_AUTH_SECURE,
        JWT_AUTH_HTTPONLY: c.REST_AUTH_JWT_AUTH_HTTPONLY,
        JWT_AUTH_SAMESITE: c.REST_AUTH_JWT_AUTH_SAMESITE,
        JWT_AUTH_RETURN_EXPIRATION: c.REST_AUTH_JWT_AUTH_RETURN_EXPIRATION,
        JWT_AUTH_COOKIE_USE_CSRF: c.REST_AUTH_JWT_AUTH_COOKIE_USE_CSRF,
        JWT_AUTH_COOKIE_ENFORCE_CSRF_ON_UNAUTHENTICATED: c.REST_AUTH_JWT_AUTH_COOKIE_ENFORCE_CSRF_ON_UNAUTHENTICATED,
        PASSWORD_RESET_CONFIRM_URL: c.REST_AUTH_PASSWORD_RESET_CONFIRM_URL,
      },
      {
        USE_JWT: false,
        SESSION_LOGIN: true,
        OLD_PASSWORD_FIELD_ENABLED: false,
        LOGOUT_ON_PASSWORD_CHANGE: false,
        JWT_AUTH_COOKIE: undefined,
        JWT_AUTH_REFRESH_COOKIE: undefined,
        JWT_AUTH_REFRESH_COOKIE_PATH: '/',
        JWT_AUTH_SECURE: false,
        JWT_AUTH_HTTPONLY: true,
        JWT_AUTH_SAMESITE: 'Lax',
        JWT_AUTH_RETURN_EXPIRATION: false,
        JWT_AUTH_COOKIE_USE_CSRF: false,
        JWT_AUTH_COOKIE_ENFORCE_CSRF_ON_UNAUTHENTICATED: false,
        PASSWORD_RESET_CONFIRM_URL: 'password-reset/confirm/{uid}/{token}/',
      },
    );
    assert.deepEqual(
      [
        c.ACCOUNT_AUTHENTICATION_METHOD,
        c.ACCOUNT_EMAIL_REQUIRED,
        c.ACCOUNT_EMAIL_VERIFICATION,
        c.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS,
        c.ACCOUNT_UNIQUE_EMAIL,
        c.ACCOUNT_USERNAME_REQUIRED,
        c.ACCOUNT_USERNAME_MIN_LENGTH,
        c.ACCOUNT_USERNAME_BLACKLIST,
        c.ACCOUNT_EMAIL_SUBJECT_PREFIX,
        c.ACCOUNT_LOGOUT_ON_GET,
        c.DJ_REST_AUTH_TOKEN_BLACKLIST,
      ],
      ['username', false, 'optional', 3, true, true, 1, [], undefined, false, true],
    );
  });

  it('the prefix is a path, not under /auth/; stored without its trailing slash', () => {
    assert.equal(loadConfig({ DJ_REST_AUTH_PREFIX: '/dj-rest-auth/' }).DJ_REST_AUTH_PREFIX, '/dj-rest-auth');
    assert.equal(loadConfig({ DJ_REST_AUTH_PREFIX: '/api/auth' }).DJ_REST_AUTH_PREFIX, '/api/auth');
    for (const bad of ['dj-rest-auth/', '/auth/dj/', '/a b/'])
      assert.throws(
        () => loadConfig({ DJ_REST_AUTH_PREFIX: bad }),
        (e: unknown) => e instanceof ConfigError && /DJ_REST_AUTH_PREFIX/.test(e.message),
        bad,
      );
  });

  it("allauth's assertions, when the surface is mounted", () => {
    const mounted = { DJ_REST_AUTH_PREFIX: '/dj-rest-auth/' };
    const fails = (env: Record<string, string>, name: string) =>
      assert.throws(
        () => loadConfig({ ...mounted, ...env }),
        (e: unknown) => e instanceof ConfigError && e.message.includes(name),
        name,
      );
    fails({ ACCOUNT_AUTHENTICATION_METHOD: 'email' }, 'ACCOUNT_EMAIL_REQUIRED');
    fails({ ACCOUNT_EMAIL_VERIFICATION: 'mandatory' }, 'ACCOUNT_EMAIL_REQUIRED');
    fails({ ACCOUNT_USERNAME_REQUIRED: 'false' }, 'ACCOUNT_USERNAME_REQUIRED');
    fails({ USERNAME_FIELD: 'email', REQUIRED_FIELDS: '' }, 'USERNAME_FIELD=username');
    assert.doesNotThrow(() => loadConfig({ ACCOUNT_EMAIL_VERIFICATION: 'mandatory' }), 'not mounted: not checked');
    assert.throws(() => loadConfig({ REST_AUTH_JWT_AUTH_SAMESITE: 'lax' }), ConfigError);
    assert.throws(() => loadConfig({ REST_AUTH_PASSWORD_RESET_CONFIRM_URL: 'reset/{uid}/' }), ConfigError);
  });
});

describe('dj-rest-auth surface not mounted without DJ_REST_AUTH_PREFIX', () => {
  const svc = useService({});
  it('404', async () => {
    assert.equal((await dra(svc, 'POST', '/dj-rest-auth/login/', {})).status, 404);
  });
});

describe('dj-rest-auth surface mounted elsewhere, in the OpenAPI document', () => {
  const svc = useService({ ...BASE_ENV, DJ_REST_AUTH_PREFIX: '/api/accounts/', REST_AUTH_USE_JWT: 'true' });
  it('serves under the prefix; the document lists its paths beside djoser’s', async () => {
    assert.equal((await dra(svc, 'POST', '/api/accounts/login/', {})).status, 400);
    const doc = (await svc.call('GET', '/auth/schema/')).body;
    for (const p of [
      '/api/accounts/login/',
      '/api/accounts/user/',
      '/api/accounts/token/refresh/',
      '/api/accounts/registration/verify-email/',
      '/auth/users/',
    ])
      assert.ok(doc.paths[p], p);
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
  });
});
