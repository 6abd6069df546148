// Erasure by crypto-shredding (#11.5), as an operator would check it: accounts driven through the API with a client
// address and agent; the raw log files hold none of their personal data in clear, before or after deletion; deleting
// one destroys its key, and its events then read "[erased]" (metadata too) while the log still replays; its username
// and email may be registered again; `authstream erase` does the same for a live account from the command line; and
// subscribers get user.erased.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { userStream } from '../../src/events/user.events.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { startTestService, type TestService } from '../support/service.js';
import { AMQP_URL, brokerReachable, cleanUp, declareCollector, drain, uniqueName, type Collected } from '../support/rabbit.js';
import { cli } from '../cli/run.js';

const PASSWORD = 'correct-horse-battery';
const IP = '203.0.113.77';
const AGENT = 'ErasureCheck/1.0 (operator)';
const client = { 'X-Forwarded-For': IP, 'User-Agent': AGENT };
const ENV = { NUM_PROXIES: '1' };

/** Every byte under DATA_DIR/events (the log, its index and snapshots), as latin1 text to search. */
async function rawLog(dataDir: string): Promise<string> {
  const dir = path.join(dataDir, 'events');
  const files = await readdir(dir, { recursive: true, withFileTypes: true });
  const parts = await Promise.all(files.filter((f) => f.isFile()).map((f) => readFile(path.join(f.parentPath, f.name))));
  return Buffer.concat(parts).toString('latin1');
}

async function signUp(service: TestService, username: string) {
  const created = await service.call(
    'POST',
    '/auth/users/',
    { username, email: `${username}@example.com`, password: PASSWORD, first_name: `First${username}`, last_name: `Last${username}` },
    client,
  );
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const login = await service.call('POST', '/auth/token/login/', { username, password: PASSWORD }, client);
  assert.equal(login.status, 200);
  await service.call('POST', '/auth/token/login/', { username, password: 'wrong-password' }, client); // a failure too
  return { id: String(created.body.id), token: String(login.body.auth_token) };
}

const personalOf = (name: string) => [`${name}@example.com`, name, `First${name}`, `Last${name}`, IP, AGENT, 'argon2id'];

describe('erasure by crypto-shredding', () => {
  let service: TestService;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };

  before(async () => {
    service = await startTestService(ENV);
    alice = await signUp(service, 'alicesmith');
    bob = await signUp(service, 'bobjones');
  });
  after(() => service.dispose());

  it('keeps no personal data in clear in the log files, even of live accounts', async () => {
    const raw = await rawLog(service.dataDir);
    for (const value of [...personalOf('alicesmith'), ...personalOf('bobjones')]) assert.ok(!raw.includes(value), `${value} in clear`);
    // Yet the service reads them: the events open with each account's key.
    const [registered] = await service.store.readStream(userStream(alice.id), { maxCount: 1 });
    assert.equal(registered!.data.email, 'alicesmith@example.com');
    assert.equal(registered!.metadata.ip, IP);
    assert.equal(registered!.metadata.userAgent, AGENT);
  });

  it('erases a deleted account: "[erased]" in its events, the same number of them, and UserErased', async () => {
    const before = await service.store.readStream(userStream(alice.id));
    const keyring = path.join(service.dataDir, 'keys', 'keyring');
    const keyLines = async () =>
      (await readFile(keyring, 'utf8'))
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { u: string; k?: string; erased?: true });
    const wrapped = (await keyLines()).find((l) => l.u === alice.id)!.k!;
    assert.ok(wrapped, 'alice has a key in the keyring');
    const auth = { Authorization: `Token ${alice.token}`, ...client };
    assert.equal((await service.call('DELETE', '/auth/users/me/', { current_password: PASSWORD }, auth)).status, 204);
    const events = await service.store.readStream(userStream(alice.id));
    assert.equal(events.length, before.length + 2);
    assert.deepEqual(
      events.slice(-2).map((e) => e.type),
      ['UserDeleted', 'UserErased'],
    );
    const registered = events.find((e) => e.type === 'UserRegistered')!;
    assert.equal(registered.data.username, '[erased]');
    assert.equal(registered.data.email, '[erased]');
    assert.equal(registered.data.firstName, '[erased]');
    assert.equal(registered.data.passwordHash, null);
    assert.deepEqual(registered.data.profile, {});
    // Written after the key was destroyed, UserErased keeps no client data at all.
    assert.equal(events.at(-1)!.metadata.ip, undefined);
    for (const e of events.slice(0, -1)) {
      assert.equal(e.metadata.ip, '[erased]', `${e.type}'s ip`);
      assert.equal(e.metadata.userAgent, '[erased]');
      assert.ok(!JSON.stringify({ data: e.data, metadata: e.metadata }).includes('alicesmith'), `${e.type} still names the account`);
    }
    // What is not personal stays: the flags, the dates, the failed login and why.
    assert.equal(registered.data.isActive, true);
    assert.ok(events.some((e) => e.type === 'LoginFailed' && e.data.reason === 'password'));
    // The key is gone from the keyring, a mark in its place; bob's is still there.
    const lines = await keyLines();
    assert.equal(lines.find((l) => l.u === alice.id)!.erased, true);
    assert.ok(lines.find((l) => l.u === bob.id)!.k);
    assert.ok(!(await readFile(keyring, 'utf8')).includes(wrapped), 'no byte of the wrapped key is left');
    const raw = await rawLog(service.dataDir);
    for (const value of personalOf('alicesmith')) assert.ok(!raw.includes(value), `${value} in clear`);
  });

  it('replays from zero after a restart, and the freed username and email may be registered again', async () => {
    service = await service.restart();
    assert.equal((await service.call('POST', '/auth/token/login/', { username: 'alicesmith', password: PASSWORD })).status, 400);
    const bobNow = await service.call('GET', '/auth/users/me/', undefined, { Authorization: `Token ${bob.token}` });
    assert.equal(bobNow.status, 200);
    assert.equal(bobNow.body.email, 'bobjones@example.com');
    const again = await service.call('POST', '/auth/users/', {
      username: 'alicesmith',
      email: 'alicesmith@example.com',
      password: PASSWORD,
    });
    assert.equal(again.status, 201, JSON.stringify(again.body));
    assert.notEqual(String(again.body.id), alice.id);
  });

  it('erases a live account from the command line (authstream erase), by username', async () => {
    await service.close();
    const env = { DATA_DIR: service.dataDir, ...ENV };
    const erased = await cli(['erase', 'bobjones'], env);
    assert.equal(erased.code, 0, erased.stderr);
    assert.match(erased.stdout, new RegExp(`erased account ${bob.id}`));
    const twice = await cli(['erase', bob.id], env);
    assert.equal(twice.code, 0, `erasing again is harmless: ${twice.stderr}`);
    const unknown = await cli(['erase', 'nobody-here'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no account is named "nobody-here"/);

    service = await service.restart();
    const events: RecordedEvent[] = await service.store.readStream(userStream(bob.id));
    assert.deepEqual(
      events.slice(-2).map((e) => [e.type, e.metadata.actor]),
      [
        ['UserDeleted', 'cli:erase'],
        ['UserErased', 'cli:erase'],
      ],
    );
    assert.equal(events[0]!.data.email, '[erased]');
    assert.equal((await service.call('GET', '/auth/users/me/', undefined, { Authorization: `Token ${bob.token}` })).status, 401);
    const raw = await rawLog(service.dataDir);
    for (const value of personalOf('bobjones')) assert.ok(!raw.includes(value), `${value} in clear`);
  });
});

const reachable = await brokerReachable();
const skip = reachable ? false : `SKIPPED: no RabbitMQ at ${AMQP_URL}`;
if (skip) console.log(skip);

describe('erasure over AMQP', { skip }, () => {
  const prefix = uniqueName('authstream-erasure');
  after(() => cleanUp(prefix));

  it('publishes user.erased after user.deleted, with the account id and nothing personal', async () => {
    const exchange = `${prefix}.x`;
    const collector = `${exchange}.collector`;
    await declareCollector(exchange, collector);
    const service = await startTestService({ ...ENV, AMQP_URL, AMQP_EXCHANGE: exchange });
    try {
      const carol = await signUp(service, 'carolwhite');
      const auth = { Authorization: `Token ${carol.token}` };
      assert.equal((await service.call('DELETE', '/auth/users/me/', { current_password: PASSWORD }, auth)).status, 204);
      const got: Collected[] = [];
      const deadline = Date.now() + 10_000;
      while (!got.some((m) => m.routingKey === 'user.erased') && Date.now() < deadline) {
        got.push(...(await drain(collector)));
        await new Promise((r) => setTimeout(r, 50));
      }
      const keys = got.map((m) => m.routingKey);
      assert.ok(keys.indexOf('user.erased') > keys.indexOf('user.deleted'), keys.join(', '));
      const erased = got.find((m) => m.routingKey === 'user.erased')!;
      assert.equal(erased.body.data.userId, carol.id);
      assert.ok(!JSON.stringify(erased.body).includes('carolwhite'));
    } finally {
      await service.dispose();
    }
  });
});
