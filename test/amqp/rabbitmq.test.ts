// Against the real RabbitMQ on 127.0.0.1:5672: the relay's CloudEvents and AMQP properties, the email consumer's
// exactly-once sending under redelivery, retries through delay queues, the dead-letter queue, resuming from the
// checkpoint, and the single-relay lease. Every test uses its own exchange and queues and deletes them.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, silentLogger } from '../../src/log.js';
import { isUserStream } from '../../src/events/user.events.js';
import { createAmqpBus } from '../../src/amqp/amqp-bus.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { startTestService, type TestService } from '../support/service.js';
import {
  AMQP_URL,
  brokerReachable,
  cleanUp,
  declareCollector,
  drain,
  messageCount,
  typesOnBroker,
  uniqueName,
  withChannel,
  type Collected,
} from '../support/rabbit.js';

const reachable = await brokerReachable();
const skip = reachable ? false : `SKIPPED: no RabbitMQ at ${AMQP_URL}`;
if (skip) console.log(skip);

const prefix = uniqueName('authstream-test');
let n = 0;
const names = () => {
  const exchange = `${prefix}.${++n}`;
  return { exchange, queue: `${exchange}.email`, collector: `${exchange}.collector` };
};

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function userEvents(service: TestService): Promise<RecordedEvent[]> {
  const out: RecordedEvent[] = [];
  for await (const e of service.store.readAll()) if (isUserStream(e.streamId)) out.push(e);
  return out;
}

const register = (service: TestService, name: string) =>
  service.call('POST', '/auth/users/', { username: name, email: `${name}@example.com`, password: 'correct-horse-battery' });

describe('RabbitMQ relay and email consumer', { skip }, () => {
  after(async () => {
    if (!skip) await cleanUp(prefix);
  });

  it('publishes every account event as a persistent CloudEvent, no secrets, no reservation streams', async () => {
    const { exchange, collector } = names();
    await declareCollector(exchange, collector);
    const service = await startTestService({ AMQP_URL, AMQP_EXCHANGE: exchange, SEND_ACTIVATION_EMAIL: 'true' });
    try {
      assert.equal((await register(service, 'carol')).status, 201);
      assert.equal((await register(service, 'dave')).status, 201);
      const expected = await userEvents(service);
      assert.equal(expected.length, 4);
      const got: Collected[] = [];
      await until('4 messages', async () => (got.push(...(await drain(collector))), got.length >= 4));
      assert.deepEqual(got.map((m) => m.messageId).sort(), expected.map((e) => e.id).sort());
      for (const m of got) {
        assert.equal(m.properties.deliveryMode, 2);
        assert.match(String(m.properties.contentType), /^application\/cloudevents\+json/);
        assert.equal(m.properties.type, m.body.type);
        assert.equal(typeof m.properties.timestamp, 'number');
        assert.equal(m.body.id, m.messageId);
        assert.equal(m.body.specversion, '1.0');
        assert.equal(m.body.subject, m.body.data.userId);
        assert.ok(['user.registered', 'user.activation_email_requested'].includes(m.routingKey));
        assert.ok(!JSON.stringify(m.body).includes('argon2'));
      }
      const health = await service.call('GET', '/health');
      assert.equal(health.body.relayActive, true);
      assert.equal(health.body.bus, 'amqp');
    } finally {
      await service.dispose();
    }
  });

  it('sends each activation email once; a republished event sends nothing more', async () => {
    const { exchange, collector, queue } = names();
    await declareCollector(exchange, collector);
    const service = await startTestService({ AMQP_URL, AMQP_EXCHANGE: exchange, SEND_ACTIVATION_EMAIL: 'true' });
    try {
      assert.equal((await register(service, 'erin')).status, 201);
      const [mail] = await service.smtp.waitFor(1);
      assert.match(mail!.subject, /Account activation/);
      assert.deepEqual(mail!.to, ['erin@example.com']);
      // Publish every event again, as a relay would after a crash before its checkpoint.
      const published: Collected[] = [];
      await until('2 messages', async () => (published.push(...(await drain(collector))), published.length >= 2));
      await withChannel(async (ch) => {
        for (const m of published) {
          ch.publish(exchange, m.routingKey, Buffer.from(JSON.stringify(m.body)), { messageId: m.messageId, persistent: true });
        }
      });
      // The copies were routed (the collector has them) and consumed (the email queue is empty again).
      await until('the copies at the collector', async () => (await messageCount(collector)) >= published.length);
      await until('the copies consumed', async () => (await messageCount(queue)) === 0);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(service.smtp.mails.length, 1);
      assert.equal(mail!.messageId, `<${published.find((m) => m.routingKey === 'user.activation_email_requested')!.messageId}@authstream>`);
    } finally {
      await service.dispose();
    }
  });

  it('retries SMTP failures through delay queues; after N attempts the message goes to the DLQ', async () => {
    const { exchange, queue } = names();
    const service = await startTestService({
      AMQP_URL,
      AMQP_EXCHANGE: exchange,
      SEND_ACTIVATION_EMAIL: 'true',
      EMAIL_MAX_ATTEMPTS: '3',
      EMAIL_RETRY_DELAY_MS: '100',
      EMAIL_RETRY_MAX_DELAY_MS: '200',
    });
    try {
      // Refused for a while: the email arrives once, after retries.
      service.smtp.refusing = true;
      assert.equal((await register(service, 'frank')).status, 201);
      // The first attempt refused (counted by the server: a poll of the 100 ms retry queue could miss it), then a
      // little longer, so that a retry is refused too, before the server accepts again.
      await until('the first attempt to be refused', async () => service.smtp.refusals > 0, 5_000);
      await new Promise((r) => setTimeout(r, 150));
      service.smtp.refusing = false;
      await service.smtp.waitFor(1, (m) => m.to[0] === 'frank@example.com', 5_000);

      // Refused throughout: dead-lettered after 3 attempts, with the reason.
      service.smtp.refusing = true;
      assert.equal((await register(service, 'grace')).status, 201);
      await until('a dead letter', async () => (await messageCount(`${queue}.dlq`)) >= 1, 10_000);
      const [dead] = await drain(`${queue}.dlq`);
      assert.equal(dead!.properties.headers?.['x-authstream-attempt'], 3);
      assert.match(String(dead!.properties.headers?.['x-authstream-error']), /451|try again/);
      assert.equal(dead!.body.type, 'authstream.user.activation_email_requested');
      assert.equal(dead!.messageId, dead!.body.id);
      service.smtp.refusing = false;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(service.smtp.mails.filter((m) => m.to[0] === 'grace@example.com').length, 0);
      assert.equal(service.smtp.mails.filter((m) => m.to[0] === 'frank@example.com').length, 1);
      assert.equal(await messageCount(queue), 0);
      // Quorum queues by default (AMQP_QUEUE_TYPE), the retry queues too: a retry moved back by the broker's
      // dead-lettering, at least once, arrived above.
      const types = await typesOnBroker(queue);
      assert.deepEqual(Object.keys(types).sort(), [queue, `${queue}.dlq`, `${queue}.retry.100`, `${queue}.retry.200`].sort());
      assert.ok(
        Object.values(types).every((type) => type === 'quorum'),
        JSON.stringify(types),
      );
    } finally {
      service.smtp.refusing = false;
      await service.dispose();
    }
  });

  it('dead-letters a malformed message at once', async () => {
    const { exchange, queue } = names();
    const service = await startTestService({ AMQP_URL, AMQP_EXCHANGE: exchange });
    try {
      await until('the email queue', () =>
        messageCount(queue).then(
          () => true,
          () => false,
        ),
      );
      await withChannel(async (ch) => void ch.publish(exchange, 'user.registered', Buffer.from('not json'), { messageId: 'junk' }));
      await until('a dead letter', async () => (await messageCount(`${queue}.dlq`)) >= 1);
      const [dead] = await drain(`${queue}.dlq`);
      assert.match(String(dead?.properties.headers?.['x-authstream-error']), /malformed/);
    } finally {
      await service.dispose();
    }
  });

  it('resumes from its checkpoint after a restart: nothing lost, nothing replayed', async () => {
    const { exchange, collector } = names();
    await declareCollector(exchange, collector);
    let service = await startTestService({ AMQP_URL, AMQP_EXCHANGE: exchange, SEND_ACTIVATION_EMAIL: 'true' });
    try {
      for (const name of ['hank', 'ivy', 'jack']) assert.equal((await register(service, name)).status, 201);
      await until('6 messages', async () => (await messageCount(collector)) >= 6);
      service = await service.restart();
      assert.equal((await register(service, 'kate')).status, 201);
      const expected = await userEvents(service);
      const got: Collected[] = [];
      await until('8 messages', async () => (got.push(...(await drain(collector))), got.length >= 8));
      await new Promise((r) => setTimeout(r, 300));
      got.push(...(await drain(collector)));
      assert.deepEqual(got.map((m) => m.messageId).sort(), expected.map((e) => e.id).sort());
      await service.smtp.waitFor(4);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(service.smtp.mails.length, 4);
    } finally {
      await service.dispose();
    }
  });

  it('declares classic queues with AMQP_QUEUE_TYPE=classic; a queue of the other type in the way is used as it is, and said', async () => {
    const { exchange, queue } = names();
    const service = await startTestService({
      AMQP_URL,
      AMQP_EXCHANGE: exchange,
      AMQP_QUEUE_TYPE: 'classic',
      SEND_ACTIVATION_EMAIL: 'true',
    });
    try {
      assert.equal((await register(service, 'hana')).status, 201);
      await service.smtp.waitFor(1, (m) => m.to[0] === 'hana@example.com');
      assert.deepEqual(await typesOnBroker(queue), { [queue]: 'classic', [`${queue}.dlq`]: 'classic' });
    } finally {
      await service.dispose();
    }
    // The same queues asked for as quorum queues (an upgrade from a release that declared them classic): the broker
    // refuses, as a queue's type cannot change; the relay learns the type from the refusal, says so once, and takes
    // the lease on its next attempt with the queues as they are, instead of staying stuck.
    const lines: string[] = [];
    const bus = createAmqpBus({
      url: AMQP_URL,
      exchange,
      log: createLogger('warn', (line) => lines.push(line)),
      leasePollMs: 100,
      declareQueues: [{ queue, bindings: ['user.#'], concurrency: 1 }],
    });
    const stop = new AbortController();
    try {
      const lease = await bus.lease(`${exchange}.relay-lock`, stop.signal);
      await lease.publish({
        routingKey: 'user.registered',
        messageId: 'after-upgrade',
        type: 'authstream.user.registered',
        timestamp: new Date(),
        contentType: 'application/json',
        body: Buffer.from('{}'),
      });
      await lease.release();
      const said = lines.map((l) => JSON.parse(l) as { msg: string; queue?: string }).filter((l) => l.msg.includes('is used as it is'));
      assert.deepEqual(said.map((l) => l.queue).sort(), [queue, `${queue}.dlq`].sort(), 'once per queue');
      assert.match(said[0]!.msg, /exists as a classic queue: it is used as it is \(AMQP_QUEUE_TYPE=quorum/);
      assert.deepEqual(await typesOnBroker(queue), { [queue]: 'classic', [`${queue}.dlq`]: 'classic' });
      assert.deepEqual(
        (await drain(queue)).map((m) => m.messageId),
        ['after-upgrade'],
      );
    } finally {
      stop.abort();
      await bus.close();
    }
  });

  it('lets one relay hold the lease at a time; a standby takes over when the holder goes', async () => {
    const { exchange } = names();
    const lease = `${exchange}.relay-lock`;
    const a = createAmqpBus({ url: AMQP_URL, exchange, log: silentLogger, leasePollMs: 100 });
    const b = createAmqpBus({ url: AMQP_URL, exchange, log: silentLogger, leasePollMs: 100 });
    const stop = new AbortController();
    try {
      const held = await a.lease(lease, stop.signal);
      let bHolds = false;
      const standby = b.lease(lease, stop.signal).then((l) => ((bHolds = true), l));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(bHolds, false, 'the standby must wait');
      await a.close(); // the holder's connection ends: the broker drops its exclusive queue
      await held.lost;
      const taken = await standby;
      assert.equal(bHolds, true);
      await taken.release();
    } finally {
      stop.abort();
      await a.close();
      await b.close();
    }
  });
});

describe('with the broker unreachable', () => {
  it('the API starts and registers; the relay waits for the broker', async () => {
    const service = await startTestService({
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:1',
      AMQP_EXCHANGE: uniqueName('authstream-test'),
      SEND_ACTIVATION_EMAIL: 'true',
    });
    try {
      assert.equal((await register(service, 'lena')).status, 201);
      const health = await service.call('GET', '/health');
      assert.equal(health.status, 200);
      assert.equal(health.body.connected, false);
      assert.equal(health.body.relayActive, false);
      assert.equal(health.body.relayPosition, 'none');
    } finally {
      await service.dispose();
    }
  });
});
