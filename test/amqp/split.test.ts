// The API and workers as separate processes (`main.ts api` / `main.ts worker`) on one EventStoreDB, one MongoDB and
// RabbitMQ: one relay publishes at a time, a standby takes over when the active worker is killed, and every
// activation email is sent once across workers (the sent-email records live in MongoDB).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEsdbTestServer, type EsdbTestServer } from '../support/esdb-server/index.js';
import { startMongoTestServer, type MongoTestServer } from '../support/mongo-server.js';
import { call, spawnService, type ServiceProcess } from '../support/process.js';
import { startSmtpCapture, type SmtpCapture } from '../support/smtp.js';
import { AMQP_URL, brokerReachable, cleanUp, declareCollector, drain, uniqueName } from '../support/rabbit.js';
import { openEsdbEventStore } from '../../src/store/esdb.js';
import { isUserStream } from '../../src/events/user.events.js';

const reachable = await brokerReachable();
const skip = reachable ? false : `SKIPPED: no RabbitMQ at ${AMQP_URL}`;
if (skip) console.log(skip);

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function health(url: string): Promise<any> {
  try {
    return await (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).json();
  } catch {
    return null;
  }
}

describe('api and workers as separate processes', { skip, timeout: 120_000 }, () => {
  const exchange = uniqueName('authstream-split');
  let esdb: EsdbTestServer;
  let mongo: MongoTestServer;
  let smtp: SmtpCapture;
  let dataDir: string;
  let api: ServiceProcess;
  let workers: ServiceProcess[] = [];

  before(async () => {
    [esdb, mongo, smtp] = await Promise.all([startEsdbTestServer(), startMongoTestServer(), startSmtpCapture()]);
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-split-'));
    await declareCollector(exchange, `${exchange}.collector`);
  });
  after(async () => {
    await Promise.all([api?.stop('SIGKILL'), ...workers.map((w) => w.stop('SIGKILL'))]);
    await cleanUp(exchange).catch(() => {});
    await smtp?.close();
    await mongo?.stop();
    await esdb?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const env = (name: string) => ({
    EVENTSTORE_URL: esdb.url,
    MONGODB_URI: mongo.uri,
    MONGODB_DB: 'authstream_split',
    SECRET_KEY: 'split-test-secret-key-long-enough-for-config',
    AMQP_URL,
    AMQP_EXCHANGE: exchange,
    SMTP_URL: smtp.url,
    SEND_ACTIVATION_EMAIL: 'true',
    DATA_DIR: path.join(dataDir, name),
  });

  it('refuses to split without shared servers', async () => {
    await assert.rejects(spawnService({ DATA_DIR: path.join(dataDir, 'x') }, ['worker'], 10_000), /EVENTSTORE_URL, AMQP_URL: required/);
  });

  it('one relay at a time, failover to the standby, each email once', async () => {
    api = await spawnService(env('api'), ['api']);
    workers = [await spawnService(env('w1'), ['worker']), await spawnService(env('w2'), ['worker'])];
    assert.deepEqual((await health(api.url)).roles, ['http']);
    await until('one active relay', async () => {
      const states = await Promise.all(workers.map((w) => health(w.url)));
      return states.filter((s) => s?.relayActive).length === 1;
    });

    const register = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const res = await call(api.url, 'POST', '/auth/users/', {
          username: `s${i}`,
          email: `s${i}@example.com`,
          password: 'correct-horse-battery',
        });
        assert.equal(res.status, 201, JSON.stringify(res.body));
      }
    };
    await register(0, 10);
    await smtp.waitFor(10, undefined, 20_000);

    // Kill the active relay's process: the standby takes the lease and resumes from the shared checkpoint.
    const states = await Promise.all(workers.map((w) => health(w.url)));
    const active = states.findIndex((s) => s?.relayActive);
    await workers[active]!.stop('SIGKILL');
    const standby = workers[1 - active]!;
    await register(10, 20);
    await until('the standby to relay', async () => (await health(standby.url))?.relayActive === true);
    await smtp.waitFor(20, undefined, 20_000);
    await new Promise((r) => setTimeout(r, 1_000));

    const counts = new Map<string, number>();
    for (const m of smtp.mails) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
    assert.equal(counts.size, 20);
    assert.ok(
      [...counts.values()].every((n) => n === 1),
      JSON.stringify([...counts]),
    );

    const store = await openEsdbEventStore(esdb.url);
    const ids: string[] = [];
    try {
      for await (const e of store.readAll()) if (isUserStream(e.streamId)) ids.push(e.id);
    } finally {
      await store.close();
    }
    const published = new Set((await drain(`${exchange}.collector`)).map((m) => m.messageId));
    assert.equal(ids.length, 40);
    assert.deepEqual(
      ids.filter((id) => !published.has(id)),
      [],
    );
  });
});
