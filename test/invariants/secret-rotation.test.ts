// Rotating SECRET_KEY the documented way (docs/operations.md): DATA_KEY set to the old key first. The accounts' keys
// still unwrap and the value streams keep their names, so personal data reads, passwords verify and names stay
// unique; only what SECRET_KEY signs (JWTs, links) starts over.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestService } from '../support/service.js';

const OLD = 'the-old-secret-key-0123456789abcdefghij';
const NEW = 'the-new-secret-key-0123456789abcdefghij';
const PASSWORD = 'correct-horse-battery';

describe('rotating SECRET_KEY with DATA_KEY set to the old one', () => {
  let dataDir: string;
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('keeps personal data readable, passwords verifying and usernames and emails unique', async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-rotate-'));
    const before = await startTestService({ SECRET_KEY: OLD, EMAIL_UNIQUE: 'true' }, { dataDir });
    const user = { username: 'rotator', email: 'rotator@example.com', password: PASSWORD };
    assert.equal((await before.call('POST', '/auth/users/', user)).status, 201);
    await before.close();

    // Rotated without DATA_KEY, the service refuses to start, and says why, rather than read the accounts as erased.
    await assert.rejects(
      startTestService({ SECRET_KEY: NEW, EMAIL_UNIQUE: 'true' }, { dataDir, smtp: before.smtp }),
      /DATA_KEY .* is not the one the keys were made with/,
    );

    const after = await startTestService({ SECRET_KEY: NEW, DATA_KEY: OLD, EMAIL_UNIQUE: 'true' }, { dataDir, smtp: before.smtp });
    try {
      const login = await after.call('POST', '/auth/jwt/create/', { username: 'rotator', password: PASSWORD });
      assert.equal(login.status, 200, 'the password hash opens and verifies');
      const me = await after.call('GET', '/auth/users/me/', undefined, { Authorization: `Bearer ${login.body.access}` });
      assert.equal(me.body.email, 'rotator@example.com');
      const again = await after.call('POST', '/auth/users/', { ...user, email: 'other@example.com' });
      assert.equal(again.status, 400, 'the username is still taken');
      assert.ok('username' in again.body);
      const sameEmail = await after.call('POST', '/auth/users/', { ...user, username: 'someone-else' });
      assert.equal(sameEmail.status, 400, 'the email is still taken');
      assert.ok('email' in sameEmail.body);
    } finally {
      await after.dispose();
    }
  });
});
