// Configuration: djoser's defaults, booleans as true/false/1/0, and a clear error naming a bad variable.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('config', () => {
  it('has djoser and simplejwt defaults with an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.PORT, 8000);
    assert.equal(c.DATA_DIR, './var');
    assert.equal(c.SEND_ACTIVATION_EMAIL, false);
    assert.equal(c.USER_CREATE_PASSWORD_RETYPE, false);
    assert.equal(c.LOGIN_FIELD, 'username');
    assert.equal(c.ACCESS_TOKEN_LIFETIME, 300);
    assert.equal(c.REFRESH_TOKEN_LIFETIME, 86_400);
    assert.equal(c.PASSWORD_RESET_TIMEOUT, 259_200);
    assert.equal(c.ARGON2_MEMORY_KIB, 19_456);
    assert.equal(c.SECRET_KEY, undefined);
  });

  it('reads booleans as true/false/1/0', () => {
    assert.equal(loadConfig({ SEND_ACTIVATION_EMAIL: '1' }).SEND_ACTIVATION_EMAIL, true);
    assert.equal(loadConfig({ SEND_ACTIVATION_EMAIL: 'true' }).SEND_ACTIVATION_EMAIL, true);
    assert.equal(loadConfig({ SEND_ACTIVATION_EMAIL: '0' }).SEND_ACTIVATION_EMAIL, false);
    assert.equal(loadConfig({ SEND_ACTIVATION_EMAIL: 'False' }).SEND_ACTIVATION_EMAIL, false);
  });

  it('names the bad variable', () => {
    const cases: Record<string, string>[] = [
      { SEND_ACTIVATION_EMAIL: 'yes' },
      { PORT: 'eighty' },
      { PORT: '70000' },
      { ARGON2_MEMORY_KIB: '1024' },
      { SMTP_URL: 'localhost:25' },
      { ACTIVATION_URL: '#/activate/{uid}' },
      { SECRET_KEY: 'short' },
    ];
    for (const env of cases) {
      const name = Object.keys(env)[0]!;
      assert.throws(
        () => loadConfig(env),
        (e: unknown) => e instanceof ConfigError && e.message.includes(`${name}:`),
        name,
      );
    }
  });

  it('requires a shared SECRET_KEY with shared servers', () => {
    assert.throws(() => loadConfig({ EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false' }), /SECRET_KEY/);
    assert.equal(loadConfig({ LOGIN_FIELD: 'email' }).EMAIL_UNIQUE, true);
  });
});
