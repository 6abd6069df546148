// Audit: an account's history from the log, found by username, email or id, with no secret in it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestService, type TestService } from '../support/service.js';
import { accountsMatching, auditTrail } from '../../src/cli/audit.js';

describe('audit trail', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.dispose());

  it('lists every event of the account in public form', async () => {
    const password = 'Sup3r-secret-pw';
    const { body } = await service.call('POST', '/auth/users/', { username: 'audited', email: 'audited@example.com', password });
    const token = (await service.call('POST', '/auth/token/login/', { username: 'audited', password })).body.auth_token as string;
    const auth = { Authorization: `Token ${token}` };
    await service.call('POST', '/auth/users/set_password/', { current_password: password, new_password: 'An0ther-secret-pw' }, auth);
    await service.call('POST', '/auth/users/set_username/', { current_password: 'An0ther-secret-pw', new_username: 'renamed' }, auth);

    const id = String(body.id);
    // The key that names reservation and mailbox streams: the one the service generated under its DATA_DIR.
    const key = (await readFile(path.join(service.dataDir, 'secret_key'), 'utf8')).trim();
    for (const who of ['audited', 'RENAMED', 'audited@example.com', id]) {
      assert.deepEqual(await accountsMatching(service.store, who, { mailboxKey: key }), [id], who);
    }
    const lines = [];
    for await (const line of auditTrail(service.store, id)) lines.push(line);
    assert.deepEqual(
      lines.map((l) => l.type),
      ['UserRegistered', 'AuthTokenCreated', 'UserLoggedIn', 'LoginSucceeded', 'PasswordChanged', 'UsernameChanged'],
    );
    const text = JSON.stringify(lines);
    assert.ok(!/argon2|passwordHash|keyHash|tokenId/.test(text), 'no password hash or token material');
    assert.ok(!text.includes(token), 'no token key');
  });
});
