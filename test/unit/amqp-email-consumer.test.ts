// The email consumer's decisions (same code on RabbitMQ and in-process): idempotent by messageId, retries with
// backoff on temporary SMTP failures, dead-letters permanent ones and the last attempt; the in-process bus that
// carries them out; the file "sent" store.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import type { EventStore, RecordedEvent } from '../../src/store/port.js';
import { userEvent, userStream } from '../../src/events/user.events.js';
import { toMessage } from '../../src/amqp/cloudevents.js';
import { emailBindings, emailDeliveryHandler, type OutgoingEmail } from '../../src/email/consumer.js';
import { createEmailRenderer } from '../../src/email/templates.js';
import type { Mailer } from '../../src/email/mailer.js';
import { memorySentStore, openFileSentStore, SENT_FILE } from '../../src/email/sent.js';
import { createInProcessBus } from '../../src/amqp/in-process.js';
import type { Delivery, OutgoingMessage } from '../../src/amqp/bus.js';

const at = '2026-01-02T03:04:05.000Z';

class FakeMailer implements Mailer {
  sent: OutgoingEmail[] = [];
  /** Errors thrown by the next sends, in order. */
  failures: unknown[] = [];
  async send(email: OutgoingEmail): Promise<void> {
    await new Promise((r) => setTimeout(r, 5));
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push(email);
  }
  close(): void {}
}

const smtpError = (responseCode: number) => Object.assign(new Error(`${responseCode} nope`), { responseCode });

describe('email consumer', () => {
  let dir: string;
  let store: EventStore;
  let activation: OutgoingMessage;
  const userId = randomUUID();

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-email-'));
    store = await openEmbeddedEventStore(path.join(dir, 'events'), { warn: () => {} });
    const events = [
      userEvent('UserRegistered', {
        userId,
        username: 'bob',
        email: 'bob@example.com',
        firstName: '',
        lastName: '',
        profile: {},
        passwordHash: '$argon2id$h',
        isActive: false,
        isStaff: false,
        isSuperuser: false,
        at,
      }),
      userEvent('ActivationEmailRequested', { userId, at }),
    ];
    await store.append(
      userStream(userId),
      events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data })),
      'no_stream',
    );
    const recorded: RecordedEvent[] = await store.readStream(userStream(userId));
    activation = toMessage(recorded[1]!, '/authstream')!;
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const setup = (overrides: { maxAttempts?: number } = {}) => {
    const mailer = new FakeMailer();
    const sent = memorySentStore();
    const handler = emailDeliveryHandler({
      config: loadConfig({ SEND_ACTIVATION_EMAIL: 'true' }),
      secretKey: 'k'.repeat(40),
      recipient: async (id) =>
        id === userId
          ? { id, active: false, username: 'bob', email: 'bob@example.com', passwordHash: '$argon2id$h', lastLogin: null }
          : null,
      now: () => new Date(),
      emails: createEmailRenderer(),
      mailer,
      sent,
      log: silentLogger,
      maxAttempts: overrides.maxAttempts ?? 3,
      retryDelayMs: 100,
      retryMaxDelayMs: 250,
    });
    return { mailer, sent, handler };
  };
  const delivery = (attempt = 1, message = activation): Delivery => ({
    messageId: message.messageId,
    routingKey: message.routingKey,
    body: message.body,
    attempt,
  });

  it('sends the email built at send time and acks; a redelivery sends nothing', async () => {
    const { mailer, handler } = setup();
    assert.deepEqual(await handler(delivery()), { action: 'ack' });
    assert.equal(mailer.sent.length, 1);
    assert.equal(mailer.sent[0]!.kind, 'activation');
    assert.equal(mailer.sent[0]!.to, 'bob@example.com');
    assert.equal(mailer.sent[0]!.eventId, activation.messageId);
    assert.match(mailer.sent[0]!.link!, /#\/activate\/[^/]+\/[^/]+$/);
    assert.deepEqual(await handler(delivery()), { action: 'ack' });
    assert.equal(mailer.sent.length, 1);
  });

  it('two copies in hand at once send one email', async () => {
    const { mailer, handler } = setup();
    const verdicts = await Promise.all([handler(delivery()), handler(delivery()), handler(delivery())]);
    assert.ok(verdicts.every((v) => v.action === 'ack'));
    assert.equal(mailer.sent.length, 1);
  });

  it('retries a temporary failure with backoff, then dead-letters the last attempt', async () => {
    const { mailer, handler } = setup({ maxAttempts: 3 });
    mailer.failures = [smtpError(451), Object.assign(new Error('connect ECONNREFUSED'), { code: 'ESOCKET' }), smtpError(451)];
    assert.deepEqual(await handler(delivery(1)), { action: 'retry', delayMs: 100, reason: 'sending failed: Error: 451 nope' });
    const second = await handler(delivery(2));
    assert.equal(second.action, 'retry');
    assert.equal((second as { delayMs: number }).delayMs, 200);
    const third = await handler(delivery(3));
    assert.equal(third.action, 'dead-letter');
    assert.equal(mailer.sent.length, 0);
  });

  it('dead-letters a permanent SMTP failure at once, and a malformed message', async () => {
    const { mailer, handler } = setup({ maxAttempts: 5 });
    mailer.failures = [smtpError(550)];
    assert.equal((await handler(delivery(1))).action, 'dead-letter');
    const bad = await handler({ messageId: 'x', routingKey: 'user.registered', body: Buffer.from('{"nope":1}'), attempt: 1 });
    assert.equal(bad.action, 'dead-letter');
    assert.match((bad as { reason: string }).reason, /malformed/);
  });

  it('acks events that need no email under the settings', async () => {
    const { mailer, handler } = setup();
    const [registered] = await store.readStream(userStream(userId));
    const message = toMessage(registered!, '/a')!; // inactive registration: the activation event sends the email
    assert.deepEqual(await handler(delivery(1, message)), { action: 'ack' });
    assert.equal(mailer.sent.length, 0);
  });

  it('runs on the in-process bus: retries wait in place, the publish resolves once settled', async () => {
    const { mailer, handler } = setup({ maxAttempts: 4 });
    const bus = createInProcessBus({ log: silentLogger, deadLetterFile: path.join(dir, 'dead.jsonl') });
    await bus.consume({ queue: 'emails', bindings: emailBindings, concurrency: 1 }, handler);
    const lease = await bus.lease('relay', new AbortController().signal);
    mailer.failures = [smtpError(421), smtpError(451)];
    const started = Date.now();
    await lease.publish(activation);
    assert.equal(mailer.sent.length, 1, 'sent on the third attempt');
    assert.ok(Date.now() - started >= 300, 'waited 100 + 200 ms');
    await lease.publish({ ...activation, routingKey: 'user.logged_in' }); // not bound: nothing happens
    assert.equal(mailer.sent.length, 1);

    const { mailer: refusing, handler: refusingHandler } = setup({ maxAttempts: 2 });
    const bus2 = createInProcessBus({ log: silentLogger, deadLetterFile: path.join(dir, 'dead.jsonl') });
    await bus2.consume({ queue: 'emails', bindings: emailBindings, concurrency: 1 }, refusingHandler);
    refusing.failures = [smtpError(451), smtpError(451)];
    await (await bus2.lease('relay', new AbortController().signal)).publish(activation);
    assert.equal(bus2.deadLetters.length, 1);
    const line = JSON.parse((await readFile(path.join(dir, 'dead.jsonl'), 'utf8')).trim());
    assert.equal(line.messageId, activation.messageId);
    assert.equal(line.queue, 'emails');
    await bus.close();
    await bus2.close();
    await assert.rejects(lease.publish(activation));
  });
});

describe('file sent store', () => {
  it('remembers ids across reopen and survives a torn last line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'authstream-sent-'));
    try {
      const a = openFileSentStore(dir);
      await a.record('m1', { kind: 'activation', at: new Date() });
      assert.ok(await a.has('m1'));
      await writeFile(path.join(dir, SENT_FILE), `${await readFile(path.join(dir, SENT_FILE), 'utf8')}{"id":"m2","ki`);
      const b = openFileSentStore(dir);
      assert.ok(await b.has('m1'));
      assert.ok(!(await b.has('m2')));
      await b.record('m3', { kind: 'activation', at: new Date() });
      const c = openFileSentStore(dir);
      assert.ok((await c.has('m1')) && (await c.has('m3')));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
