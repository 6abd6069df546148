// `authstream audit` and `authstream rebuild` against the log of a running service (both open it read-only).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startTestService, type TestService } from '../support/service.js';
import { startMongoTestServer, type MongoTestServer } from '../support/mongo-server.js';
import { cli } from './run.js';

describe('authstream audit / rebuild', () => {
  let service: TestService;
  let mongo: MongoTestServer;
  const password = 'Audit-secret-pw-1';
  before(async () => {
    [service, mongo] = await Promise.all([startTestService(), startMongoTestServer()]);
    assert.equal((await service.call('POST', '/auth/users/', { username: 'audited', email: 'audited@example.com', password })).status, 201);
    await service.call('POST', '/auth/token/login/', { username: 'audited', password });
  });
  after(() => Promise.all([service.dispose(), mongo.stop()]));

  it('audit <user> prints the account’s history as JSON lines, public fields only', async () => {
    const ids = new Set<string>();
    for (const who of ['audited', 'audited@example.com']) {
      const { code, stdout, stderr } = await cli(['audit', who], { DATA_DIR: service.dataDir });
      assert.equal(code, 0, stderr);
      const lines = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      assert.deepEqual(
        lines.map((l) => l.type),
        ['UserRegistered', 'AuthTokenCreated', 'UserLoggedIn', 'LoginSucceeded'],
      );
      assert.deepEqual(Object.keys(lines[0]), ['userId', 'revision', 'position', 'recorded', 'eventId', 'type', 'data', 'metadata']);
      assert.ok(lines.every((l) => l.userId === lines[0].userId && l.data.userId === l.userId));
      assert.doesNotMatch(stdout, /passwordHash|tokenId|keyHash|argon2/);
      ids.add(lines[0].userId);
    }
    assert.equal(ids.size, 1);
    const byId = await cli(['audit', [...ids][0]!], { DATA_DIR: service.dataDir });
    assert.equal(byId.code, 0, byId.stderr);
    assert.equal(byId.stdout.trim().split('\n').length, 4);
  });

  it('audit of nobody exits 1', async () => {
    const { code, stderr } = await cli(['audit', 'nobody'], { DATA_DIR: service.dataDir });
    assert.equal(code, 1);
    assert.match(stderr, /no account found for nobody/);
  });

  it('rebuild replays the log into MongoDB (and into a rebuilt snapshot without MONGODB_URI)', async () => {
    // The service's own key (MONGODB_URI needs SECRET_KEY set): the accounts' keys are wrapped with it.
    const SECRET_KEY = (await readFile(path.join(service.dataDir, 'secret_key'), 'utf8')).trim();
    const rebuilt = await cli(['rebuild'], { DATA_DIR: service.dataDir, MONGODB_URI: mongo.uri, SECRET_KEY });
    assert.equal(rebuilt.code, 0, rebuilt.stderr);
    assert.match(rebuilt.stderr, /rebuild: \d+ events replayed/);
    assert.match(rebuilt.stdout, /read model rebuilt in \d+ ms/); // the log, on stdout
    const embedded = await cli(['rebuild'], { DATA_DIR: service.dataDir });
    assert.equal(embedded.code, 0, embedded.stderr);
    assert.match(embedded.stdout, /wrote .*read-model\.rebuilt\.snapshot/); // see test/cli/rebuild.test.ts
  });
});
