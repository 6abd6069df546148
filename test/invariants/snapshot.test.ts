// The in-memory read model loaded from its snapshot (and the log's tail after it) is the model a replay of the whole
// log builds: after a mixed workload — Django imports, registrations, logins (tokens, JWTs, a rehash), renames,
// email changes, logouts, deletions — whether the snapshot covers the whole log, or only part of it, or is ignored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import { loadSecretKey } from '../../src/crypto/secret-key.js';
import { silentLogger } from '../../src/log.js';
import { parseDjangoDumpFile } from '../../src/commands/import-django/dump.js';
import { importDeps, importDjango } from '../../src/commands/import-django/import.js';
import { createMemoryReadModel, isTombstone, type MemoryReadModel } from '../../src/readmodel/memory.js';
import { memoryContents } from '../support/memory-contents.js';
import { readModelProjection } from '../../src/projections/read-model.projection.js';
import { READ_MODEL_SNAPSHOT_FILE } from '../../src/readmodel/snapshot.js';
import type { EventStore } from '../../src/store/port.js';
import { startTestService, type TestService } from '../support/service.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/django');
const passwords = JSON.parse(await readFile(path.join(FIXTURES, 'passwords.json'), 'utf8')) as Record<string, Record<string, string>>;
const PASSWORD = 'Sup3r-secret-pw';

const contents = memoryContents;

/** A model built by replaying the whole log with the projections, without the service or any snapshot. */
async function replayed(store: EventStore): Promise<MemoryReadModel> {
  const model = createMemoryReadModel();
  const project = readModelProjection(model);
  for await (const event of store.readAll()) await project(event);
  return model;
}

describe('the read-model snapshot', () => {
  let dataDir: string;
  let svc: TestService;
  const midSnapshot = () => path.join(dataDir, 'mid.snapshot');
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-snapshot-'));
    // Django users (integer ids, old hashes, DRF tokens), imported with the service stopped.
    const config = loadConfig({ DATA_DIR: dataDir });
    const store = await openEmbeddedEventStore(path.join(dataDir, 'events'));
    try {
      const secretKey = await loadSecretKey(dataDir, silentLogger);
      const dump = await parseDjangoDumpFile(path.join(FIXTURES, 'default.json'));
      const report = await importDjango(importDeps({ config, store, secretKey }), dump);
      assert.equal(report.failed, 0);
    } finally {
      await store.close();
    }
    svc = await startTestService({}, { dataDir });
  });
  after(async () => {
    await svc?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('loaded, with or without a tail to replay, equals a replay of the whole log; FULL_REPLAY ignores it', async () => {
    const auth = (token: string) => ({ Authorization: `Token ${token}` });
    const login = async (username: string, password = PASSWORD) => {
      const res = await svc.call('POST', '/auth/token/login/', { username, password });
      assert.equal(res.status, 200, `login ${username}: ${JSON.stringify(res.body)}`);
      return res.body.auth_token as string;
    };
    const workload = async (round: number) => {
      for (let i = 0; i < 6; i++) {
        const username = `snap${round}-${i}`;
        const created = await svc.call('POST', '/auth/users/', { username, email: `${username}@example.com`, password: PASSWORD });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const token = await login(username);
        if (i === 1) {
          const res = await svc.call(
            'POST',
            '/auth/users/set_username/',
            { current_password: PASSWORD, new_username: `renamed${round}` },
            auth(token),
          );
          assert.equal(res.status, 204, JSON.stringify(res.body));
        }
        if (i === 2)
          assert.equal((await svc.call('PATCH', '/auth/users/me/', { email: `moved${round}@example.com` }, auth(token))).status, 200);
        if (i === 3) assert.equal((await svc.call('POST', '/auth/token/logout/', undefined, auth(token))).status, 204);
        if (i === 4) {
          const res = await svc.call('DELETE', '/auth/users/me/', { current_password: PASSWORD }, auth(token));
          assert.equal(res.status, 204, JSON.stringify(res.body));
        }
        if (i === 5) assert.equal((await svc.call('POST', '/auth/jwt/create/', { username, password: PASSWORD })).status, 200);
      }
    };
    await workload(1);
    // Imported users log in with their Django passwords (rehashed to argon2id) and keep their DRF tokens.
    for (const name of ['alice', 'bob']) await login(name, passwords['default.json']![name]);
    assert.equal(svc.snapshots?.startedFrom.loaded, false);
    await svc.snapshots!.write();
    await copyFile(path.join(dataDir, READ_MODEL_SNAPSHOT_FILE), midSnapshot());
    await workload(2);

    // 1. A clean stop writes a snapshot of everything; the start loads it and has no tail to replay. (While running,
    // the checkpoint is stored in batches: it may trail the documents, never lead them.)
    const before = contents(svc.readModel as MemoryReadModel, false);
    svc = await svc.restart();
    assert.equal(svc.snapshots?.startedFrom.loaded, true);
    let last;
    for await (const event of svc.store.readAll()) last = event.position;
    const atEnd = [['read-model', last]];
    assert.deepEqual(svc.snapshots?.startedFrom.loaded && svc.snapshots.startedFrom.meta.position, [
      String(last!.commit),
      String(last!.prepare),
    ]);
    assert.deepEqual(contents(svc.readModel as MemoryReadModel), { ...before, checkpoints: atEnd });
    assert.deepEqual(before, contents(await replayed(svc.store), false));

    // 2. A snapshot of part of the log (as after a crash): loaded, then the tail after it replayed.
    await svc.close();
    await copyFile(midSnapshot(), path.join(dataDir, READ_MODEL_SNAPSHOT_FILE));
    svc = await startTestService({}, { dataDir, smtp: svc.smtp });
    assert.equal(svc.snapshots?.startedFrom.loaded, true);
    assert.deepEqual(contents(svc.readModel as MemoryReadModel), { ...before, checkpoints: atEnd });

    // 3. FULL_REPLAY: the snapshot is not used, and the model is the same.
    await svc.close();
    svc = await startTestService({ FULL_REPLAY: 'true' }, { dataDir, smtp: svc.smtp });
    assert.deepEqual(svc.snapshots?.startedFrom, {
      loaded: false,
      reason: 'FULL_REPLAY is set (or start --replay): the snapshot is not used',
    });
    assert.deepEqual(contents(svc.readModel as MemoryReadModel), { ...before, checkpoints: atEnd });
    // The service still works on it: a renamed user logs in by the new name, a deleted one not at all.
    await login('renamed2');
    assert.equal((await svc.call('POST', '/auth/token/login/', { username: 'snap2-4', password: PASSWORD })).status, 400);
    assert.ok(before.users.filter((u) => isTombstone(u)).length >= 2, 'the workload left tombstones');
    assert.ok(before.maxIntegerId > 0, 'imported integer ids');
  });
});
