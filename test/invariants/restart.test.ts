// Stop the embedded service and start it again on the same DATA_DIR: every account, token, JWT signing key and
// pending email survives, and nothing is emailed twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestService, type TestService } from '../support/service.js';
import { linkIn, uidAndToken } from '../support/smtp.js';

describe('restart of the embedded service', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ SEND_ACTIVATION_EMAIL: 'true' });
  });
  after(() => service.dispose());

  it('keeps accounts, auth tokens and JWTs valid, and sends no email twice', async () => {
    const password = 'Sup3r-secret-pw';
    const created = await service.call('POST', '/auth/users/', { username: 'restarter', email: 'restarter@example.com', password });
    assert.equal(created.status, 201);
    const [mail] = await service.smtp.waitFor(1, (m) => m.to.includes('restarter@example.com'));
    assert.equal((await service.call('POST', '/auth/users/activation/', uidAndToken(linkIn(mail!)))).status, 204);
    const token = (await service.call('POST', '/auth/token/login/', { username: 'restarter', password })).body.auth_token as string;
    const jwt = (await service.call('POST', '/auth/jwt/create/', { username: 'restarter', password })).body as {
      access: string;
      refresh: string;
    };
    const pending = await service.call('POST', '/auth/users/', { username: 'pending', email: 'pending@example.com', password });
    await service.smtp.waitFor(1, (m) => m.to.includes('pending@example.com'));
    const mailsBefore = service.smtp.mails.length;

    service = await service.restart();

    const byToken = await service.call('GET', '/auth/users/me/', undefined, { Authorization: `Token ${token}` });
    assert.deepEqual(byToken.body, { email: 'restarter@example.com', id: created.body.id, username: 'restarter' });
    const byJwt = await service.call('GET', '/auth/users/me/', undefined, { Authorization: `Bearer ${jwt.access}` });
    assert.equal(byJwt.status, 200);
    assert.equal((await service.call('POST', '/auth/jwt/refresh/', { refresh: jwt.refresh })).status, 200);
    // DRF's get_or_create: the same key after a restart.
    assert.equal((await service.call('POST', '/auth/token/login/', { username: 'restarter', password })).body.auth_token, token);
    // The name is still taken; the inactive account is still inactive.
    assert.equal((await service.call('POST', '/auth/users/', { username: 'restarter', password })).status, 400);
    assert.equal((await service.call('POST', '/auth/token/login/', { username: 'pending', password })).status, 400);
    assert.equal(pending.status, 201);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(service.smtp.mails.length, mailsBefore, 'an email was sent again after the restart');
  });
});
