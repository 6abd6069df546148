// `authstream rebuild` beside a running service: on MongoDB it builds a new version of the read model in collections
// of its own and switches the version pointer, which the running instance follows (reads keep working, and a write
// after the switch is read back at once); on the embedded default it writes a rebuilt snapshot that the next start
// loads. Either way the running service never reads a half-built model.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { isVersionedReadModel } from '../../src/readmodel/mongo.js';
import { REBUILT_SNAPSHOT_FILE } from '../../src/readmodel/snapshot.js';
import { startMongoTestServer, type MongoTestServer } from '../support/mongo-server.js';
import { startTestService, type TestService } from '../support/service.js';
import { cli } from './run.js';

const PASSWORD = 'Rebuild-secret-pw-1';
const SECRET_KEY = 's'.repeat(40);

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  for (const started = Date.now(); Date.now() - started < timeoutMs; await new Promise((r) => setTimeout(r, 100))) {
    const value = await probe();
    if (value !== undefined) return value;
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function registerAndLogIn(service: TestService, username: string): Promise<string> {
  const created = await service.call('POST', '/auth/users/', { username, email: `${username}@example.com`, password: PASSWORD });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const login = await service.call('POST', '/auth/token/login/', { username, password: PASSWORD });
  assert.equal(login.status, 200);
  return login.body.auth_token as string;
}

const me = (service: TestService, token: string) => service.call('GET', '/auth/users/me/', undefined, { Authorization: `Token ${token}` });

describe('authstream rebuild on MongoDB, beside a running instance', () => {
  let mongo: MongoTestServer;
  let service: TestService;
  let client: MongoClient;
  const dbName = 'authstream';
  before(async () => {
    mongo = await startMongoTestServer();
    service = await startTestService({ MONGODB_URI: mongo.uri, SECRET_KEY });
    client = await new MongoClient(mongo.uri).connect();
  });
  after(async () => {
    await client?.close();
    await service?.dispose();
    await mongo?.stop();
  });

  it('builds new collections, switches the pointer atomically, and the instance follows without a gap', async () => {
    const tokens = [];
    for (let i = 0; i < 5; i++) tokens.push(await registerAndLogIn(service, `mongo-rebuild-${i}`));
    const env = { DATA_DIR: service.dataDir, MONGODB_URI: mongo.uri, SECRET_KEY };
    const first = await cli(['rebuild'], env, 60_000);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /rebuild: \d+ events replayed/);
    const version = /switched the read model from version '' to '(rebuild_[0-9_Z]+)'/.exec(first.stdout)?.[1];
    assert.ok(version, first.stdout);
    const db = client.db(dbName);
    assert.deepEqual(
      await db.collection('read_model_version').findOne({ _id: 'current' as never }, { projection: { version: 1, previous: 1 } }),
      {
        _id: 'current',
        version,
        previous: '',
      },
    );
    assert.equal(await db.collection(`users_${version}`).countDocuments(), 5);

    // The instance moves over (it polls the pointer), then reads and writes the new version.
    assert.ok(isVersionedReadModel(service.readModel));
    const model = service.readModel;
    await until('the switch', () => (model.version === version ? true : undefined));
    for (const token of tokens) assert.equal((await me(service, token)).status, 200);
    const late = await registerAndLogIn(service, 'after-the-switch');
    assert.equal((await me(service, late)).body.username, 'after-the-switch');
    assert.equal(await db.collection(`users_${version}`).countDocuments({ usernameKey: 'after-the-switch' }), 1);
    assert.equal(await db.collection('users').countDocuments({ usernameKey: 'after-the-switch' }), 0, 'the old version is left as it was');

    // A second rebuild drops the versions before the one in use, and keeps that one until the next.
    const second = await cli(['rebuild'], env, 60_000);
    assert.equal(second.code, 0, second.stderr);
    const next = /to '(rebuild_[0-9_Z]+)'/.exec(second.stdout)?.[1];
    assert.ok(next && next !== version, second.stdout);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    assert.ok(!names.includes('users') && !names.includes('auth_tokens'), names.join(', '));
    assert.ok(names.includes(`users_${version}`) && names.includes(`users_${next}`), names.join(', '));
    await until('the second switch', () => (model.version === next ? true : undefined));
    assert.equal((await me(service, late)).status, 200);
    // The relay's and other runners' checkpoints are not the rebuild's: they survive it.
    const checkpoints = (await db.collection('checkpoints').find({}).toArray()).map((c) => String(c._id));
    assert.ok(checkpoints.includes(`read-model@${next}`), checkpoints.join(', '));
  });
});

describe('authstream rebuild on the embedded default, beside a running service', () => {
  let service: TestService;
  before(async () => {
    service = await startTestService({});
  });
  after(() => service?.dispose());

  it('writes a rebuilt snapshot, which the next start loads instead of its own', async () => {
    const token = await registerAndLogIn(service, 'embedded-rebuild');
    const result = await cli(['rebuild'], { DATA_DIR: service.dataDir });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /rebuild: \d+ events replayed/);
    assert.match(result.stdout, /wrote .*read-model\.rebuilt\.snapshot \(1 users, 1 tokens, up to position \d+/);
    assert.equal((await stat(path.join(service.dataDir, REBUILT_SNAPSHOT_FILE))).mode & 0o777, 0o600);
    // Written after the rebuild: replayed at the next start from the log after the rebuilt snapshot.
    const late = await registerAndLogIn(service, 'embedded-late');
    service = await service.restart();
    const from = service.snapshots?.startedFrom;
    assert.ok(from?.loaded && from.meta.source === 'rebuild', JSON.stringify(from));
    await assert.rejects(stat(path.join(service.dataDir, REBUILT_SNAPSHOT_FILE)), { code: 'ENOENT' });
    assert.equal((await me(service, token)).status, 200);
    assert.equal((await me(service, late)).body.username, 'embedded-late');
  });
});
