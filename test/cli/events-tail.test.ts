// `authstream events tail`: the live log in public form, read-only beside the running service that writes it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestService, type TestService } from '../support/service.js';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-server/index.js';
import { cli, spawnCli, type RunningCli } from './run.js';

const SECRETS = /passwordHash|tokenId|keyHash|sealedKey|argon2/;
const types = (lines: string[]) => lines.map((l) => JSON.parse(l).type as string);

describe('authstream events tail', () => {
  let service: TestService;
  const tails: RunningCli[] = [];
  const password = 'Tail-secret-pw-1';
  before(async () => {
    service = await startTestService();
    const res = await service.call('POST', '/auth/users/', { username: 'tailed', email: 'tailed@example.com', password });
    assert.equal(res.status, 201);
  });
  after(async () => {
    await Promise.all(tails.map((t) => t.stop('SIGKILL')));
    await service.dispose();
  });

  it('--from-start prints the log in public form, then follows it live while the service runs', async () => {
    const tail = spawnCli(['events', 'tail', '--from-start'], { DATA_DIR: service.dataDir });
    tails.push(tail);
    const first = await tail.waitForLines((lines) => types(lines).includes('UserRegistered'));
    const registered = JSON.parse(first.find((l) => l.includes('UserRegistered'))!);
    assert.equal(registered.data.username, 'tailed');
    assert.equal(registered.userId, registered.data.userId);
    assert.ok(!('passwordHash' in registered.data));

    // The service keeps writing; the tail (which holds no lock) sees it.
    const login = await service.call('POST', '/auth/token/login/', { username: 'tailed', password });
    assert.equal(login.status, 200);
    const lines = await tail.waitForLines((l) => types(l).includes('AuthTokenCreated'));
    const text = lines.join('\n');
    assert.doesNotMatch(text, SECRETS, 'no password hash, no token material');
    assert.ok(!text.includes(login.body.auth_token), 'no token key');
    assert.ok(
      types(lines).every((t) => !/Reservation|Claim/i.test(t)),
      `no reservation streams: ${types(lines).join(', ')}`,
    );

    const { code, stderr } = await tail.stop('SIGINT');
    assert.equal(code, 0, stderr);
  });

  it('without --from-start prints only events from now on', async () => {
    const tail = spawnCli(['events', 'tail'], { DATA_DIR: service.dataDir });
    tails.push(tail);
    await waitForStderr(tail);
    const res = await service.call('POST', '/auth/users/', { username: 'newcomer', email: 'newcomer@example.com', password });
    assert.equal(res.status, 201);
    const lines = await tail.waitForLines((l) => types(l).includes('UserRegistered'));
    assert.deepEqual(lines.map((l) => JSON.parse(l).data.username).filter(Boolean), ['newcomer']);
    assert.equal((await tail.stop('SIGTERM')).code, 0);
  });

  it('--no-follow --type prints the matching events and exits 0', async () => {
    const { code, stdout, stderr } = await cli(['events', 'tail', '--from-start', '--no-follow', '--type', 'user.registered'], {
      DATA_DIR: service.dataDir,
    });
    assert.equal(code, 0, stderr);
    const lines = stdout.split('\n').filter(Boolean);
    assert.deepEqual(types(lines), ['UserRegistered', 'UserRegistered']);
    assert.doesNotMatch(stdout, SECRETS);
  });
});

/** The tail says on stderr when it has found the end of the log and follows it. */
async function waitForStderr(tail: RunningCli): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (tail.stderr().includes('following the log')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the tail did not start following:\n${tail.stderr()}`);
}

describe('authstream events tail on EventStoreDB (EVENTSTORE_URL)', () => {
  let esdb: EsdbTestServer;
  let service: TestService;
  let env: Record<string, string>;
  const password = 'Tail-secret-pw-2';
  before(async () => {
    esdb = await startEsdbTestServer();
    env = { EVENTSTORE_URL: esdb.url, SECRET_KEY: 's'.repeat(40) };
    service = await startTestService(env);
    // The CLI finds the accounts' keys where the service keeps them (DATA_DIR/keys without MONGODB_URI).
    env = { ...env, DATA_DIR: service.dataDir };
    assert.equal((await service.call('POST', '/auth/users/', { username: 'esdb-user', email: 'esdb@example.com', password })).status, 201);
  });
  after(async () => {
    await service.dispose();
    await esdb.stop();
  });

  it('prints the log from the start, and follows it from now on', async () => {
    const all = await cli(['events', 'tail', '--from-start', '--no-follow'], env);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(types(all.stdout.split('\n').filter(Boolean)), ['UserRegistered']);
    assert.doesNotMatch(all.stdout, SECRETS);

    const tail = spawnCli(['events', 'tail'], env);
    try {
      await waitForStderr(tail);
      assert.equal(
        (await service.call('POST', '/auth/users/', { username: 'esdb-later', email: 'later@example.com', password })).status,
        201,
      );
      const lines = await tail.waitForLines((l) => types(l).includes('UserRegistered'));
      assert.deepEqual(lines.map((l) => JSON.parse(l).data.username).filter(Boolean), ['esdb-later']);
    } finally {
      assert.equal((await tail.stop('SIGINT')).code, 0);
    }
  });
});
