// SECRET_KEY_FILE: the secret key read from a file (a Docker secret) when SECRET_KEY is unset.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, SETTING_NAMES, unknownSettings } from '../../src/config.js';

describe('SECRET_KEY_FILE', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authstream-secret-key-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const KEY = 'k'.repeat(40);

  it('is read and trimmed when SECRET_KEY is unset, and satisfies the shared servers’ requirement', () => {
    const config = loadConfig({ SECRET_KEY_FILE: file('key', `  ${KEY}\n`), EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false' });
    assert.equal(config.SECRET_KEY, KEY);
  });

  it('with SECRET_KEY set too: a configuration error naming both', () => {
    assert.throws(
      () => loadConfig({ SECRET_KEY: KEY, SECRET_KEY_FILE: file('both', KEY) }),
      /SECRET_KEY, SECRET_KEY_FILE: set one of them, not both/,
    );
  });

  it('a key under 32 characters, or a file that cannot be read: a configuration error naming the file', () => {
    const short = file('short', 'short-key\n');
    assert.throws(
      () => loadConfig({ SECRET_KEY_FILE: short }),
      (e: Error) => {
        assert.equal(e.name, 'ConfigError');
        assert.match(e.message, new RegExp(`SECRET_KEY_FILE: ${short} must hold a key of at least 32 characters \\(it holds 9\\)`));
        return true;
      },
    );
    assert.throws(() => loadConfig({ SECRET_KEY_FILE: path.join(dir, 'missing') }), /SECRET_KEY_FILE: cannot read .*missing \(ENOENT\)/);
  });

  it('is a setting `config check` knows (not reported as unknown)', () => {
    assert.ok(SETTING_NAMES.includes('SECRET_KEY_FILE'));
    assert.deepEqual(unknownSettings({ SECRET_KEY_FILE: '/run/secrets/secret_key' }), []);
    for (const name of ['EMAIL_TEMPLATES_DIR', 'LANGUAGE_CODE']) assert.ok(SETTING_NAMES.includes(name), name);
  });
});
