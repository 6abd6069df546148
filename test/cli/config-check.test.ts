// `authstream config check`: the effective configuration with secrets masked; unknown and misspelled variables named.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { unknownSettings } from '../../src/config.js';
import { cliMany } from './run.js';

const SECRET = 'k'.repeat(40);

describe('authstream config check', () => {
  const [misspelt, clean, invalid, masked] = cliMany([
    [['config', 'check'], { SEND_ACTIVATON_EMAIL: 'true', DATA_DIR: '/tmp/x' }],
    [['config', 'check'], { SEND_ACTIVATION_EMAIL: 'true', PORT: '9000', DATA_DIR: '/tmp/x' }],
    [['config', 'check'], { PORT: 'eighty', EMAIL_RETRIES: '3' }],
    [
      ['config', 'check', '--json'],
      { SECRET_KEY: SECRET, AMQP_URL: 'amqp://guest:hunter2hunter2@127.0.0.1:5672', MONGODB_URI: 'mongodb://u:pw-in-url@db/authstream' },
    ],
  ]);

  it('names a misspelled variable and exits 1', async () => {
    const { code, stdout, stderr } = await misspelt!;
    assert.equal(code, 1, stderr);
    assert.match(stderr, /SEND_ACTIVATON_EMAIL is not a setting; did you mean SEND_ACTIVATION_EMAIL\?/);
    assert.match(stdout, /^SEND_ACTIVATION_EMAIL=false {2}# default$/m, 'the misspelling did not set it');
  });

  it('prints the effective configuration and exits 0 for a correct environment', async () => {
    const { code, stdout, stderr } = await clean!;
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^SEND_ACTIVATION_EMAIL=true$/m);
    assert.match(stdout, /^PORT=9000$/m);
    assert.match(stdout, /^HOST=127\.0\.0\.1 {2}# default$/m);
    assert.doesNotMatch(stderr, /not a setting/);
  });

  it('exits 2 for an invalid configuration, still naming unknown variables', async () => {
    const { code, stderr } = await invalid!;
    assert.equal(code, 2);
    assert.match(stderr, /PORT: must be a whole number/);
    assert.match(stderr, /EMAIL_RETRIES is not a setting \(settings starting with EMAIL_: /);
  });

  it('masks secrets, and passwords inside URLs', async () => {
    const { code, stdout } = await masked!;
    assert.equal(code, 0);
    const report = JSON.parse(stdout);
    assert.equal(report.valid, true);
    assert.equal(report.settings.SECRET_KEY, '********');
    assert.equal(report.settings.AMQP_URL, 'amqp://guest:***@127.0.0.1:5672');
    assert.equal(report.settings.MONGODB_URI, 'mongodb://u:***@db/authstream');
    assert.ok(!stdout.includes(SECRET) && !stdout.includes('hunter2') && !stdout.includes('pw-in-url'));
  });
});

describe('unknownSettings', () => {
  const names = (env: Record<string, string>) => unknownSettings(env).map((u) => [u.name, u.suggestion]);

  it('suggests the setting a name is a typo of (a letter missing, swapped, or in lower case)', () => {
    assert.deepEqual(names({ SEND_ACTIVATON_EMAIL: '1', LOGIN_FEILD: 'email', port: '80', PROT: '1' }), [
      ['LOGIN_FEILD', 'LOGIN_FIELD'],
      ['PROT', 'PORT'],
      ['SEND_ACTIVATON_EMAIL', 'SEND_ACTIVATION_EMAIL'],
      ['port', 'PORT'],
    ]);
  });

  it('names variables with a settings prefix that are no setting', () => {
    const found = unknownSettings({ REST_AUTH_TOKEN_MODEL: 'x', JWT_AUTH_COOKIE: 'x', ACCOUNT_EMAIL_CONFIRMATION_HMAC: 'false' });
    assert.deepEqual(
      found.map((u) => u.name),
      ['ACCOUNT_EMAIL_CONFIRMATION_HMAC', 'JWT_AUTH_COOKIE', 'REST_AUTH_TOKEN_MODEL'],
    );
    assert.ok(found.every((u) => u.suggestion === undefined && u.message.startsWith(`${u.name} is not a setting`)));
  });

  it('leaves settings and the usual environment alone', () => {
    const env = {
      PORT: '1',
      SEND_ACTIVATION_EMAIL: 'true',
      HOME: '/root',
      PATH: '/bin',
      USER: 'me',
      HOSTNAME: 'box',
      PWD: '/',
      TERM: 'xterm',
      LANG: 'C',
      SHELL: '/bin/sh',
      NODE_ENV: 'production',
      TZ: 'UTC',
      MAIL: '/var/mail/me',
    };
    assert.deepEqual(unknownSettings(env), []);
  });
});
