// Invariant: the login field stays unique under concurrent requests, enforced on the write side.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestService, type TestService } from '../support/service.js';

async function registrationsInLog(service: TestService, username: string): Promise<number> {
  let count = 0;
  for await (const event of service.store.readAll()) {
    if (event.type === 'UserRegistered' && String(event.data.username).toLowerCase() === username.toLowerCase()) count++;
  }
  return count;
}

describe('uniqueness under concurrency', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService();
  });
  after(() => service.dispose());

  it('50 concurrent registrations of one username: one 201, 49 × 400, one registration event', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        service.call('POST', '/auth/users/', { username: 'contested', email: `c${i}@example.com`, password: 'Sup3r-secret-pw' }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses: ${statuses.join(',')}`);
    const refused = responses.filter((r) => r.status === 400);
    assert.equal(refused.length, 49);
    for (const r of refused) assert.deepEqual(r.body, { username: ['A user with that username already exists.'] });
    assert.equal(await registrationsInLog(service, 'contested'), 1);
  });

  it('usernames differing only in case or Unicode form are one name', async () => {
    const responses = await Promise.all(
      ['Casey', 'casey', 'CASEY', 'ｃａｓｅｙ'].map((username) =>
        service.call('POST', '/auth/users/', { username, password: 'Sup3r-secret-pw' }),
      ),
    );
    assert.equal(responses.filter((r) => r.status === 201).length, 1);
    assert.equal((await registrationsInLog(service, 'casey')) + (await registrationsInLog(service, 'ｃａｓｅｙ')), 1);
  });
});

describe('email uniqueness under concurrency (EMAIL_UNIQUE)', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ EMAIL_UNIQUE: 'true' });
  });
  after(() => service.dispose());

  it('20 concurrent registrations of one email under different usernames: one 201', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        service.call('POST', '/auth/users/', {
          username: `mailer${i}`,
          email: i % 2 ? 'Same@Example.com' : 'same@example.com',
          password: 'Sup3r-secret-pw',
        }),
      ),
    );
    assert.equal(responses.filter((r) => r.status === 201).length, 1);
    for (const r of responses.filter((r) => r.status !== 201)) {
      assert.equal(r.status, 400);
      assert.deepEqual(r.body, { email: ['user with this email address already exists.'] });
    }
    // The losers' usernames were released: each can register with another address.
    const loser = responses.findIndex((r) => r.status === 400);
    const again = await service.call('POST', '/auth/users/', {
      username: `mailer${loser}`,
      email: 'other@example.com',
      password: 'Sup3r-secret-pw',
    });
    assert.equal(again.status, 201);
  });
});
