// Invariant: a 2xx from a write means the next request sees its effect. 200 accounts, each registered, then at once
// activated, logged in and read back with `me`, with no pause anywhere.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestService, type TestService } from '../support/service.js';
import { activationLink } from '../support/accounts.js';

const ACCOUNTS = 200;
const WORKERS = 4;

describe('read-your-writes', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ SEND_ACTIVATION_EMAIL: 'true' });
  });
  after(() => service.dispose());

  it(`register → activate → log in → me, for ${ACCOUNTS} accounts in a tight loop`, async () => {
    const failures: string[] = [];
    const started = Date.now();
    const worker = async (w: number) => {
      for (let i = w; i < ACCOUNTS; i += WORKERS) {
        const username = `ryw${i}`;
        const password = 'Sup3r-secret-pw';
        const created = await service.call('POST', '/auth/users/', { username, email: `${username}@example.com`, password });
        if (created.status !== 201) {
          failures.push(`${username} register ${created.status}`);
          continue;
        }
        const activated = await service.call('POST', '/auth/users/activation/', await activationLink(service, created.body.id));
        if (activated.status !== 204) {
          failures.push(`${username} activate ${activated.status} ${JSON.stringify(activated.body)}`);
          continue;
        }
        const login = await service.call('POST', '/auth/token/login/', { username, password });
        if (login.status !== 200) {
          failures.push(`${username} login ${login.status} ${JSON.stringify(login.body)}`);
          continue;
        }
        const me = await service.call('GET', '/auth/users/me/', undefined, { Authorization: `Token ${login.body.auth_token}` });
        if (me.status !== 200 || me.body.username !== username) failures.push(`${username} me ${me.status} ${JSON.stringify(me.body)}`);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    console.log(`read-your-writes: ${ACCOUNTS} accounts × 4 requests in ${Date.now() - started} ms, ${failures.length} failures`);
    assert.deepEqual(failures, []);
  });
});
