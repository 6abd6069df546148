// Replaying the log from zero rebuilds an identical read model, and replaying it twice changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestService, type TestService } from '../support/service.js';
import { activationLink } from '../support/accounts.js';
import { createMemoryReadModel } from '../../src/readmodel/memory.js';
import { readModelProjection } from '../../src/projections/read-model.projection.js';
import type { ReadModel } from '../../src/readmodel/port.js';

async function snapshot(model: ReadModel, userIds: string[], keyHashes: string[]) {
  return {
    users: await Promise.all(userIds.map((id) => model.findUserById(id))),
    tokens: await Promise.all(keyHashes.map((h) => model.findToken(h))),
  };
}

describe('replay', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({ SEND_ACTIVATION_EMAIL: 'true' });
  });
  after(() => service.dispose());

  it('rebuilds an identical read model from the log', async () => {
    const password = 'Sup3r-secret-pw';
    for (let i = 0; i < 6; i++) {
      const username = `replay${i}`;
      const { body } = await service.call('POST', '/auth/users/', { username, email: `${username}@example.com`, password });
      if (i % 3 === 2) continue; // left inactive
      await service.call('POST', '/auth/users/activation/', await activationLink(service, body.id));
      const { auth_token } = (await service.call('POST', '/auth/token/login/', { username, password })).body;
      const auth = { Authorization: `Token ${auth_token}` };
      if (i === 1) await service.call('PATCH', '/auth/users/me/', { email: 'changed@example.com' }, auth);
      if (i === 3) await service.call('POST', '/auth/token/logout/', undefined, auth);
      if (i === 4) await service.call('DELETE', '/auth/users/me/', { current_password: password }, auth);
    }
    const userIds = new Set<string>();
    const keyHashes = new Set<string>();
    for await (const e of service.store.readAll()) {
      if (typeof e.data.userId === 'string' && e.streamId.startsWith('user-')) userIds.add(e.data.userId);
      if (e.type === 'AuthTokenCreated') keyHashes.add(String(e.data.keyHash));
    }
    const live = await snapshot(service.readModel, [...userIds], [...keyHashes]);

    const rebuilt = createMemoryReadModel();
    const project = readModelProjection(rebuilt);
    const events = [];
    for await (const e of service.store.readAll()) events.push(e);
    for (const e of events) await project(e);
    assert.deepEqual(await snapshot(rebuilt, [...userIds], [...keyHashes]), live);
    // Redelivering everything (at-least-once) changes nothing.
    for (const e of events) await project(e);
    assert.deepEqual(await snapshot(rebuilt, [...userIds], [...keyHashes]), live);
    assert.ok(live.users.filter(Boolean).length >= 4 && live.tokens.filter(Boolean).length >= 2, 'the scenario left users and tokens');
  });
});
