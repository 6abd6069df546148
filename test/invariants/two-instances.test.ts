// Two service processes on one EventStoreDB and one MongoDB read model keep every invariant: uniqueness, and
// read-your-writes across instances. Projection writing is arranged as idempotent concurrent writers: each instance
// runs its own projection runner into the shared read model; every write is guarded by the stream revision, so the
// second writer of an event changes nothing, and a write answers only after its own instance's runner has applied it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-server/index.js';
import { startMongoTestServer, type MongoTestServer } from '../support/mongo-server.js';
import { call, spawnService, type ServiceProcess } from '../support/process.js';
import { openEsdbEventStore } from '../../src/store/esdb.js';
import { openMongoReadModel } from '../../src/readmodel/mongo.js';
import { createMemoryReadModel } from '../../src/readmodel/memory.js';
import { readModelProjection } from '../../src/projections/read-model.projection.js';
import { loadAccount } from '../support/accounts.js';
import { isAccount } from '../../src/commands/account.state.js';
import { encodeUid, makeLinkToken } from '../../src/crypto/link-token.js';
import type { EventStore } from '../../src/store/port.js';
import { loadConfig } from '../../src/config.js';
import { openAccountKeys, sealedStore } from '../../src/erasure/open.js';

const SECRET_KEY = 'two-instances-secret-key-long-enough-for-config';
const password = 'Sup3r-secret-pw';

describe('two instances on one EventStoreDB and one read model', () => {
  let esdb: EsdbTestServer;
  let mongo: MongoTestServer;
  let store: EventStore;
  let dataDir: string;
  let a: ServiceProcess;
  let b: ServiceProcess;

  before(async () => {
    [esdb, mongo] = await Promise.all([startEsdbTestServer(), startMongoTestServer()]);
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-two-'));
    const env = (name: string) => ({
      EVENTSTORE_URL: esdb.url,
      MONGODB_URI: mongo.uri,
      MONGODB_DB: 'authstream_two',
      SECRET_KEY,
      SEND_ACTIVATION_EMAIL: 'true',
      DATA_DIR: path.join(dataDir, name),
    });
    [a, b] = await Promise.all([spawnService(env('a')), spawnService(env('b'))]);
    // Read as the instances do: personal data opened with the accounts' keys in the shared MongoDB.
    const config = loadConfig({ MONGODB_URI: mongo.uri, MONGODB_DB: 'authstream_two', SECRET_KEY });
    store = sealedStore(await openEsdbEventStore(esdb.url), await openAccountKeys(config, SECRET_KEY));
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.close();
    await mongo?.stop();
    await esdb?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function activation(id: string | number) {
    const userId = String(id);
    const state = await loadAccount(store, userId);
    assert.ok(isAccount(state), `no account ${userId}`);
    const user = { id: state.id, passwordHash: state.passwordHash, lastLogin: state.lastLogin, email: state.email };
    return {
      uid: encodeUid(userId),
      token: makeLinkToken({ secret: SECRET_KEY, purpose: 'activation', user, nowSeconds: Math.floor(Date.now() / 1000) }),
    };
  }

  it('30 concurrent registrations of one username, split across both instances: exactly one 201', async () => {
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(i % 2 ? a.url : b.url, 'POST', '/auth/users/', { username: 'shared', password })),
    );
    assert.deepEqual(responses.map((r) => r.status).sort(), [201, ...Array(29).fill(400)]);
    let registered = 0;
    for await (const e of store.readAll()) if (e.type === 'UserRegistered' && e.data.username === 'shared') registered++;
    assert.equal(registered, 1);
  });

  it('50 concurrent registrations split across both instances get 50 distinct integer ids', async () => {
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(i % 2 ? a.url : b.url, 'POST', '/auth/users/', { username: `many${i}`, password })),
    );
    assert.deepEqual(
      responses.map((r) => r.status),
      Array(50).fill(201),
      JSON.stringify(responses.filter((r) => r.status !== 201).map((r) => r.body)),
    );
    const ids = responses.map((r) => r.body.id as number);
    assert.ok(
      ids.every((id) => Number.isSafeInteger(id) && id > 0),
      String(ids),
    );
    assert.equal(new Set(ids).size, 50, 'no id handed out twice');
    // The log agrees: one account stream per id, each with that account's registration.
    for (const [i, id] of ids.entries()) {
      const [first] = await store.readStream(`user-${id}`);
      assert.equal(first?.data.username, `many${i}`);
    }
  });

  it('every write on one instance is visible at once on the other', async () => {
    const failures: string[] = [];
    for (let i = 0; i < 25; i++) {
      const [first, second] = i % 2 ? [a, b] : [b, a];
      const username = `cross${i}`;
      const created = await call(first.url, 'POST', '/auth/users/', { username, email: `${username}@example.com`, password });
      const activated = await call(second.url, 'POST', '/auth/users/activation/', await activation(created.body.id));
      const login = await call(first.url, 'POST', '/auth/token/login/', { username, password });
      const auth = { Authorization: `Token ${login.body?.auth_token}` };
      const me = await call(second.url, 'GET', '/auth/users/me/', undefined, auth);
      const logout = await call(second.url, 'POST', '/auth/token/logout/', undefined, auth);
      const after = await call(first.url, 'GET', '/auth/users/me/', undefined, auth);
      const seen = [created.status, activated.status, login.status, me.status, logout.status, after.status].join(',');
      if (seen !== '201,204,200,200,204,401') failures.push(`${username}: ${seen}`);
    }
    assert.deepEqual(failures, []);
  });

  it('both runners wrote the read model, and it matches the log', async () => {
    const model = await openMongoReadModel(mongo.uri, { dbName: 'authstream_two', emailUnique: false });
    try {
      for (let i = 0; i < 25; i++) {
        const doc = await model.findUserByUsername(`cross${i}`);
        assert.ok(doc, `cross${i} missing`);
        // What one projection of this account's stream gives, from scratch:
        const replayed = createMemoryReadModel();
        for (const event of await store.readStream(`user-${doc.id}`)) await readModelProjection(replayed)(event);
        assert.deepEqual(doc, await replayed.findUserById(doc.id));
        assert.equal(doc.isActive, true, 'activated');
      }
    } finally {
      await model.close();
    }
  });
});
