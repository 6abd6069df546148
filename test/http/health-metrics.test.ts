// /health/alive, /health/ready (and the old /health), on the API and on a worker; /metrics behind METRICS_TOKEN and
// on METRICS_PORT; the readiness checks of a stuck or lagging subscription.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestService, useService, type TestService } from '../support/service.js';
import { loadConfig } from '../../src/config.js';
import { PASSWORD, register, unique } from './helpers.js';
import { silentLogger } from '../../src/log.js';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import type { EventStore, Position } from '../../src/store/port.js';
import { SubscriptionRunner } from '../../src/projections/runner.js';
import { readiness, subscriptionCheck } from '../../src/observability/health.js';

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('health of a healthy embedded service', () => {
  const svc = useService();

  it('alive: 200', async () => {
    const res = await svc.call('GET', '/health/alive');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  it('ready: 200 with every check passed', async () => {
    await register(svc);
    const res = await svc.call('GET', '/health/ready');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'ok');
    assert.deepEqual(res.body.failed, []);
    assert.deepEqual(Object.keys(res.body.checks).sort(), ['eventStore', 'readModel', 'readModelProjection', 'relay']);
    assert.equal(res.body.checks.readModelProjection.lagEvents, 0);
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('/health answers as before', async () => {
    const res = await svc.call('GET', '/health');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'ok');
    assert.deepEqual(res.body.roles, ['http', 'relay', 'email']);
    assert.equal(typeof res.body.readModelPosition, 'string');
  });

  it('/metrics is not there without METRICS_TOKEN or METRICS_PORT', async () => {
    const res = await svc.call('GET', '/metrics', undefined, { Authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { detail: 'Not found.' });
    assert.equal(svc.metricsUrl, undefined);
  });
});

describe('readiness with the broker unreachable', () => {
  // Nothing listens on port 1: the bus keeps reconnecting (the shared RabbitMQ is left alone).
  const svc = useService({ AMQP_URL: 'amqp://guest:guest@127.0.0.1:1', AMQP_EXCHANGE: `authstream.test.${randomUUID()}` });

  it('ready: 503 naming the broker and why; alive and /health still 200', async () => {
    const res = await svc.call('GET', '/health/ready');
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.status, 'unavailable');
    assert.deepEqual(res.body.failed, ['broker']);
    assert.equal(res.body.checks.broker.ok, false);
    assert.match(res.body.checks.broker.reason, /not connected to RabbitMQ/);
    assert.equal(res.body.checks.eventStore.ok, true);
    assert.equal(res.body.checks.relay.active, false, 'no lease without a broker');
    assert.equal((await svc.call('GET', '/health/alive')).status, 200);
    assert.equal((await svc.call('GET', '/health')).status, 200);
  });
});

describe('/metrics', () => {
  const svc = useService({ METRICS_TOKEN, METRICS_PORT: '0', SEND_ACTIVATION_EMAIL: 'true' });

  it('answers 401 without the token or with a wrong one', async () => {
    const none = await svc.call('GET', '/metrics');
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    for (const header of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(1)}`, `Token ${METRICS_TOKEN}`, METRICS_TOKEN]) {
      assert.equal((await svc.call('GET', '/metrics', undefined, { Authorization: header })).status, 401, header);
    }
  });

  it('answers 200 with the token, with the metrics of the requests made', async () => {
    const user = await register(svc);
    await svc.smtp.waitFor(1, (m) => m.to.includes(user.email));
    assert.equal((await svc.call('POST', '/auth/token/login/', { username: user.username, password: PASSWORD })).status, 400);
    assert.equal((await svc.call('POST', '/auth/jwt/create/', { username: user.username, password: 'wrong-password' })).status, 401);
    const someone = randomUUID();
    assert.equal((await svc.call('GET', `/auth/users/${someone}/`)).status, 401);
    const res = await fetch(`${svc.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    for (const expected of [
      /^authstream_http_request_duration_seconds_bucket\{.*route="\/auth\/users\/".*status="201"/m,
      /^authstream_http_request_duration_seconds_count\{method="GET",route="\/auth\/users\/:id\/",status="401"\} 1$/m,
      /^authstream_logins_total\{kind="token",outcome="failure"\} 1$/m,
      /^authstream_logins_total\{kind="jwt",outcome="failure"\} 1$/m,
      /^authstream_emails_sent_total\{kind="activation"\} 1$/m,
      /^authstream_email_retries_total 0$/m,
      /^authstream_emails_dead_lettered_total 0$/m,
      /^authstream_event_store_append_duration_seconds_count\{outcome="ok"\} [1-9]/m,
      /^authstream_subscription_lag_events\{subscription="read-model"\} 0$/m,
      /^authstream_subscription_lag_seconds\{subscription="relay"\} /m,
      /^authstream_subscription_blocked_seconds\{subscription="read-model"\} 0$/m,
      /^# TYPE authstream_throttled_total counter$/m,
      /^# TYPE authstream_accounts_locked_total counter$/m,
      /^process_cpu_user_seconds_total /m,
      /^nodejs_eventloop_lag_seconds /m,
    ]) {
      assert.match(text, expected);
    }
    assert.ok(!text.includes(user.email) && !text.includes(someone), 'no user data in the metrics, no raw paths');
  });

  it('is served without a token on METRICS_PORT, and nothing else is', async () => {
    assert.ok(svc.metricsUrl);
    assert.notEqual(svc.metricsUrl, svc.url);
    const res = await fetch(`${svc.metricsUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^authstream_http_request_duration_seconds_bucket/m);
    assert.equal((await fetch(`${svc.metricsUrl}/health/ready`)).status, 404);
    assert.equal((await fetch(`${svc.metricsUrl}/auth/users/`)).status, 404);
  });
});

describe('a worker (relay and email consumer, no API)', () => {
  const svc = useService({ METRICS_TOKEN }, { roles: ['relay', 'email'] });

  it('serves /health/*, /health and /metrics on its port, nothing of the API', async () => {
    assert.equal((await svc.call('GET', '/health/alive')).status, 200);
    const ready = await svc.call('GET', '/health/ready');
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.deepEqual(Object.keys(ready.body.checks).sort(), ['eventStore', 'relay']);
    const health = await svc.call('GET', '/health');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body.roles, ['relay', 'email']);
    assert.equal((await svc.call('GET', '/health/')).status, 200, 'the worker answered /health/ before');
    assert.equal((await svc.call('GET', '/metrics')).status, 401);
    assert.equal((await svc.call('GET', '/metrics', undefined, { Authorization: `Bearer ${METRICS_TOKEN}` })).status, 200);
    assert.equal((await svc.call('POST', '/auth/users/', {})).status, 404);
  });
});

describe('readiness of a subscription', () => {
  let dir: string;
  let store: EventStore;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-health-'));
    store = await openEmbeddedEventStore(dir);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails while its handler keeps failing on an event, naming the event, and passes once it gets through', async () => {
    const saved = new Map<string, Position>();
    let failing = true;
    const runner = new SubscriptionRunner({
      name: 'test',
      store,
      checkpoints: { load: async (n) => saved.get(n) ?? null, save: async (n, p) => void saved.set(n, p) },
      handle: async (event) => {
        if (failing && event.type === 'Poison') throw new Error('read model down');
      },
      log: silentLogger,
    });
    await store.append(unique('s'), [{ id: randomUUID(), type: 'Fine', data: {} }], 'no_stream');
    await runner.start();
    const check = subscriptionCheck('readModelProjection', runner, { events: 1_000, seconds: 60 });
    assert.deepEqual(await readiness([check]), {
      status: 'ok',
      failed: [],
      checks: { readModelProjection: { ok: true, lagEvents: 0, lagSeconds: 0 } },
    });

    const poison = randomUUID();
    await store.append(unique('s'), [{ id: poison, type: 'Poison', data: {} }], 'no_stream');
    for (let i = 0; i < 3; i++) await store.append(unique('s'), [{ id: randomUUID(), type: 'Fine', data: {} }], 'no_stream');
    for (let i = 0; i < 100 && !runner.blocked; i++) await new Promise((r) => setTimeout(r, 20));
    const blocked = await readiness([check]);
    assert.equal(blocked.status, 'unavailable');
    const result = blocked.checks.readModelProjection!;
    assert.match(String(result.reason), new RegExp(`^retrying Poison ${poison} since .*read model down`));
    assert.equal(result.lagEvents, 4, 'the poison event and the three behind it');

    failing = false;
    for (let i = 0; i < 200 && runner.blocked; i++) await new Promise((r) => setTimeout(r, 20));
    await runner.waitFor(runner.position!, 1_000);
    for (let i = 0; i < 100 && (await runner.lag()).events > 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await readiness([check])).status, 'ok');
    await runner.stop();
  });

  it('fails beyond its lag bound in events or in seconds', async () => {
    const lagging = (events: number, seconds: number) => ({ blocked: null, lag: async () => ({ events, seconds, capped: false }) });
    const bound = { events: 10, seconds: 5 };
    const far = await readiness([subscriptionCheck('p', lagging(11, 0.1), bound)]);
    assert.match(String(far.checks.p!.reason), /11 events behind the log \(bound: 10\)/);
    const old = await readiness([subscriptionCheck('p', lagging(2, 7.5), bound)]);
    assert.match(String(old.checks.p!.reason), /oldest pending event is 7\.5 s old \(bound: 5 s\)/);
    assert.equal((await readiness([subscriptionCheck('p', lagging(2, 0.5), bound)])).status, 'ok');
    const slow = { name: 'slow', run: () => new Promise<never>(() => {}) };
    assert.deepEqual((await readiness([slow], 50)).checks.slow, { ok: false, reason: 'no answer within 50 ms' });
  });
});

/** Stops a service started on a DATA_DIR of the test's own, and its SMTP capture; the directory stays. */
const stop = async (svc: TestService) => {
  await svc.close();
  await svc.smtp.close();
};

describe('an event the read model cannot read, at start-up', () => {
  // A log with an event of a type this version does not know (as a newer version could have written), between two
  // registrations: the service starts, says where it stopped, answers 503 — until the operator skips the event.
  let dataDir: string;
  let position: string;
  let second: string;
  before(async () => {
    const first = await startTestService();
    dataDir = first.dataDir;
    const alice = await register(first);
    second = (await register(first)).username;
    const appended = await first.store.append(
      `user-${alice.id}`,
      [{ id: randomUUID(), type: 'UserTeleported', data: { v: 1, userId: alice.id, planet: 'Mars', at: new Date().toISOString() } }],
      'any',
    );
    position = String(appended.position.commit);
    // Live, the projection stops at it as soon as it sees it.
    for (let i = 0; i < 100 && (await first.call('GET', '/auth/users/me/')).status !== 503; i++)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal((await first.call('GET', '/auth/users/me/')).status, 503);
    await stop(first);
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('starts, reports it in /health and /health/ready (503 with the position), and answers 503 to the API', async () => {
    const svc = await startTestService({}, { dataDir });
    try {
      const health = await svc.call('GET', '/health');
      assert.equal(health.status, 200);
      assert.deepEqual(health.body.readModelStoppedAt, {
        position,
        streamId: health.body.readModelStoppedAt.streamId,
        eventType: 'UserTeleported',
        reason: 'unknown user event type UserTeleported',
      });
      const ready = await svc.call('GET', '/health/ready');
      assert.equal(ready.status, 503);
      assert.ok(ready.body.failed.includes('readModelProjection'));
      const check = ready.body.checks.readModelProjection;
      assert.equal(check.stoppedAt.position, position);
      assert.match(
        check.reason,
        new RegExp(`stopped at an event it cannot read: position ${position}, .*READ_MODEL_SKIP_EVENTS=${position}`),
      );
      assert.doesNotMatch(JSON.stringify([health.body, ready.body]), /Mars/, 'never the event’s data');
      const detail = `The read model is stopped at an event it cannot read (position ${position}); see the log.`;
      for (const [method, p, body] of [
        ['POST', '/auth/token/login/', { username: second, password: PASSWORD }],
        ['GET', '/auth/users/me/', undefined],
        ['POST', '/auth/users/', { username: unique(), password: PASSWORD }],
      ] as const) {
        const res = await svc.call(method, p, body);
        assert.equal(res.status, 503, `${method} ${p}`);
        assert.deepEqual(res.body, { detail });
      }
      assert.equal((await svc.call('GET', '/health/alive')).status, 200);
    } finally {
      await stop(svc);
    }
  });

  it('with READ_MODEL_SKIP_EVENTS naming it, passes over it and serves', async () => {
    const svc = await startTestService({ READ_MODEL_SKIP_EVENTS: position }, { dataDir });
    try {
      assert.equal((await svc.call('GET', '/health')).body.readModelStoppedAt, undefined);
      const login = await svc.call('POST', '/auth/token/login/', { username: second, password: PASSWORD });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const ready = await svc.call('GET', '/health/ready');
      assert.equal(ready.body.checks.readModelProjection.ok, true, JSON.stringify(ready.body));
    } finally {
      await stop(svc);
    }
  });

  it('refuses a READ_MODEL_SKIP_EVENTS that names no position', () => {
    assert.throws(() => loadConfig({ READ_MODEL_SKIP_EVENTS: '12,abc' }), /READ_MODEL_SKIP_EVENTS/);
    assert.deepEqual(loadConfig({ READ_MODEL_SKIP_EVENTS: ' 12, 034 ,5/6' }).READ_MODEL_SKIP_EVENTS, ['12', '34', '5/6']);
  });
});
