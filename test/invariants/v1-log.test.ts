// A log written by the previous release (test/fixtures/v1-log: v1 UserRegistered events in a format-1 file) still
// replays and audits today: a copy of it as DATA_DIR's log, today's service started on it (embedded), then the read
// model rebuilt from it (users, tokens), logins with the recorded passwords and tokens, the audit (CLI beside the
// running service, and HTTP) showing the v1 UserRegistered upcast to v2, and the relay's public form of every event
// valid against the AsyncAPI document. The committed fixture is never opened in place, and stays byte-identical.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { startTestService, type TestService } from '../support/service.js';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { parseMessage, toMessage } from '../../src/amqp/cloudevents.js';
import { buildAsyncApi } from '../../src/amqp/asyncapi.js';
import { isUserStream, type UserEventType } from '../../src/events/user.events.js';
import { cli, ndjson } from '../cli/run.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/v1-log/events.log', import.meta.url));
const FIXTURE_SHA256 = '78f188e17c8260a8ac17e47b2828055801769d741e2fdd09ab662c79ffbb7b10';
// What the fixture's README says it holds.
const SECRET_KEY = 'v1-fixture-secret-key-for-tests-only-0123456789';
const ALICE = { id: '75f7d9f5-12db-42f1-a08b-68876aacf404', username: 'alice2', password: 'Alice-v1-pass-3' };
const ALICE_TOKEN = '70a8681f6a8d5ad178b717c7c103e29060eff2ff';
const BOB = { id: 'a49f5dd7-f824-49cf-9944-d3daabf8c133' };
const CAROL = { id: '998daed3-8ce1-4e6d-8482-a448e8d53787', username: 'carol', password: 'Carol-v1-pass-1' };
const DAVE = { id: 'fab436a3-8762-4af0-9ccb-7acc4469d753', username: 'dave', password: 'Dave-v1-pass-1' };
const DAVE_TOKEN = '0d476af26b90e3cbb27f69886dc18268f383db85';

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
// ajv-formats is CommonJS: its function is the default export's default under ESM.
const addFormats = ((addFormatsModule as any).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

describe('a log written by the previous release', () => {
  let dataDir: string;
  let service: TestService;
  const env = { USER_ID_TYPE: 'uuid', SECRET_KEY };
  before(async () => {
    assert.equal(await sha256(FIXTURE), FIXTURE_SHA256, 'the committed fixture');
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-v1-'));
    await mkdir(path.join(dataDir, 'events'));
    await copyFile(FIXTURE, path.join(dataDir, 'events', 'events.log'));
  });
  after(async () => {
    await service?.close();
    await service?.smtp.close();
    await rm(dataDir, { recursive: true, force: true });
    assert.equal(await sha256(FIXTURE), FIXTURE_SHA256, 'the committed fixture is untouched');
  });

  it('opens read-only as it is (format 1), without rewriting it', async () => {
    const store = await openEmbeddedEventStore(path.join(dataDir, 'events'), { readOnly: true, warn: () => undefined });
    try {
      assert.equal(store.opened.format, 1);
      let events = 0;
      for await (const _ of store.readAll()) events++;
      assert.equal(events, 39);
    } finally {
      await store.close();
    }
    assert.equal(await sha256(path.join(dataDir, 'events', 'events.log')), FIXTURE_SHA256);
  });

  it('today’s service starts on it (migrating the copy to format 2) and rebuilds users and tokens from it', async () => {
    service = await startTestService(env, { dataDir });
    const migrated = await readFile(path.join(dataDir, 'events', 'events.log'));
    assert.deepEqual([...migrated.subarray(0, 8)], [0xff, 0x41, 0x53, 0x4c, 0x4f, 0x47, 0x0d, 0x0a], 'a format-2 file header');
    assert.equal(await sha256(path.join(dataDir, 'events', 'events.log.v1')), FIXTURE_SHA256, 'the original kept aside');

    const health = await service.call('GET', '/health/ready');
    assert.equal(health.status, 200, JSON.stringify(health.body));
    // The recorded tokens authenticate (the read model's tokens, rebuilt), as the users they were issued to.
    const alice = await service.call('GET', '/auth/users/me/', undefined, { Authorization: `Token ${ALICE_TOKEN}` });
    assert.equal(alice.status, 200, JSON.stringify(alice.body));
    assert.deepEqual(alice.body, { email: 'alice@example.com', id: ALICE.id, username: 'alice2' });
    const dave = await service.call('GET', '/auth/users/me/', undefined, { Authorization: `Token ${DAVE_TOKEN}` });
    assert.equal(dave.body.username, 'dave');
    // Logins with the recorded passwords; a second login hands out the same key, as DRF does.
    const login = await service.call('POST', '/auth/token/login/', { username: ALICE.username, password: ALICE.password });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body.auth_token, ALICE_TOKEN);
    const jwt = await service.call('POST', '/auth/jwt/create/', { username: DAVE.username, password: DAVE.password });
    assert.equal(jwt.status, 200);
    // Old names and passwords no longer work; the deleted and the never-activated accounts cannot log in.
    for (const [username, password] of [
      ['alice', 'Alice-v1-pass-1'],
      ['alice2', 'Alice-v1-pass-2'],
      ['robert', 'Bob-v1-pass-1'],
      ['bob', 'Bob-v1-pass-1'],
      [CAROL.username, CAROL.password],
    ])
      assert.equal((await service.call('POST', '/auth/token/login/', { username, password })).status, 400, username);
    // The names a deleted account released can be taken again; a name held is still taken.
    assert.equal((await service.call('POST', '/auth/users/', { username: 'robert', password: 'Robert-new-pass-1' })).status, 201);
    assert.equal((await service.call('POST', '/auth/users/', { username: 'Dave', password: 'Dave-new-pass-1' })).status, 400);
  });

  it('audits by old name, by email (a scan: no mailbox index in an old log) and by id, with v1 UserRegistered as v2', async () => {
    const runs = await Promise.all([
      cli(['audit', 'alice', '--json', '-v'], { DATA_DIR: dataDir, SECRET_KEY }),
      cli(['audit', 'ALICE@example.com', '--json', '-v'], { DATA_DIR: dataDir, SECRET_KEY }),
      cli(['audit', ALICE.id, '--json'], { DATA_DIR: dataDir, SECRET_KEY }),
      cli(['audit', 'robert', '--json'], { DATA_DIR: dataDir, SECRET_KEY }),
    ]);
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    const [byName, byEmail, byId, robert] = runs.map((r) => ndjson(r.stdout));
    assert.match(runs[0]!.stderr, /lookup username-reservation \(reservation-username-alice\): 1 account/, 'the older version’s stream');
    assert.match(runs[1]!.stderr, /lookup email-scan: 1 account/);
    assert.deepEqual(byName, byId);
    assert.deepEqual(byEmail, byId);
    const registered = byId![0];
    assert.equal(registered.type, 'UserRegistered');
    assert.deepEqual(registered.data, {
      v: 2,
      userId: ALICE.id,
      username: 'alice',
      email: 'alice@example.com',
      firstName: '',
      lastName: '',
      profile: {},
      isActive: false,
      isStaff: false,
      isSuperuser: false,
      at: registered.data.at,
    });
    assert.deepEqual(registered.metadata, {}, 'the previous release recorded no metadata');
    assert.deepEqual(
      byId!.map((l) => l.type),
      [
        'UserRegistered',
        'ActivationEmailRequested',
        'UserActivated',
        'AuthTokenCreated',
        'UserLoggedIn',
        'PasswordChanged',
        'UsernameChanged',
        'AuthTokenDestroyed',
        'PasswordResetRequested',
        'PasswordChanged',
        'UserLoggedIn',
        'AuthTokenCreated',
        'UserLoggedIn',
        // and today's logins above
        ...byId!.slice(13).map((l) => l.type),
      ],
    );
    assert.equal(robert![0].userId, BOB.id);
    assert.ok(robert!.some((l) => l.type === 'UserDeleted'));
    assert.doesNotMatch(runs.map((r) => r.stdout).join(''), /passwordHash|argon2|tokenId|keyHash/);

    // Over HTTP, the owner's own history shows the same upcast event.
    const own = await service.call('GET', '/auth/users/me/events/?order=oldest', undefined, { Authorization: `Token ${ALICE_TOKEN}` });
    assert.equal(own.status, 200);
    assert.deepEqual(own.body.results[0].data, registered.data);
  });

  it('the relay’s public form of every event, upcast ones included, is valid against the AsyncAPI document', async () => {
    const store = await openEmbeddedEventStore(path.join(dataDir, 'events'), { readOnly: true, warn: () => undefined });
    const recorded: RecordedEvent[] = [];
    try {
      for await (const e of store.readAll()) if (isUserStream(e.streamId)) recorded.push(e);
    } finally {
      await store.close();
    }
    const doc = buildAsyncApi() as { components: { schemas: Record<string, object>; messages: Record<string, { payload: object }> } };
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const fromV1 = recorded.filter((e) => [ALICE.id, BOB.id, CAROL.id, DAVE.id].includes(e.streamId.slice(5)));
    assert.equal(fromV1.filter((e) => e.type === 'UserRegistered').length, 4);
    for (const e of fromV1) {
      const message = toMessage(e, '/authstream');
      assert.ok(message, `${e.type} is published`);
      const { cloudEvent } = parseMessage(message.body); // the zod public schema
      const type = e.type as UserEventType;
      const body = JSON.parse(message.body.toString('utf8'));
      const validData = ajv.validate(doc.components.schemas[type]!, body.data);
      assert.ok(validData, `${type} data: ${ajv.errorsText()}`);
      const { data: _data, ...envelope } = body;
      const payload = doc.components.messages[type]!.payload as { properties: Record<string, unknown>; required: string[] };
      const envelopeSchema = {
        ...payload,
        properties: Object.fromEntries(Object.entries(payload.properties).filter(([k]) => k !== 'data')),
        required: payload.required.filter((k) => k !== 'data'),
      };
      assert.ok(ajv.validate(envelopeSchema, envelope), `${type} envelope: ${ajv.errorsText()}`);
      assert.ok(!('passwordHash' in body.data) && !('tokenId' in body.data) && !('keyHash' in body.data));
      if (type === 'UserRegistered') {
        assert.equal(body.data.v, 2);
        assert.deepEqual(body.data.profile, {});
        assert.equal(body.data.isStaff, false);
        assert.equal(cloudEvent.subject, e.streamId.slice(5));
      }
    }
  });
});
