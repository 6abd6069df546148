// What leaves the store: CloudEvents of account streams only, public forms only; parsing them back; topic matching,
// backoff; the AsyncAPI document generated from the zod schemas and kept up to date.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { publicSchema, routingKey, userEvent, userEventTypes, userStream } from '../../src/events/user.events.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { MalformedMessageError, parseMessage, toMessage } from '../../src/amqp/cloudevents.js';
import { retryDelay, topicMatches } from '../../src/amqp/bus.js';
import { buildAsyncApi } from '../../src/amqp/asyncapi.js';
import { emailBindings } from '../../src/email/consumer.js';

const userId = '6f1d3c3e-8d7a-4f51-9a51-1f3f5e0a0b01';
const at = '2026-01-02T03:04:05.000Z';

function recorded(streamId: string, type: string, data: Record<string, unknown>): RecordedEvent {
  return {
    id: randomUUID(),
    type,
    streamId,
    revision: 0n,
    position: { commit: 1n, prepare: 1n },
    data,
    metadata: {},
    created: new Date(at),
  };
}

describe('CloudEvents messages', () => {
  it('publishes an account event as a structured CloudEvent with its public form', () => {
    const event = userEvent('UserRegistered', {
      userId,
      username: 'alice',
      email: 'a@example.com',
      firstName: 'A',
      lastName: 'L',
      profile: {},
      passwordHash: '$argon2id$v=19$secret',
      isActive: false,
      isStaff: false,
      isSuperuser: false,
      at,
    });
    const r = recorded(userStream(userId), event.type, event.data);
    const message = toMessage(r, '/authstream')!;
    assert.equal(message.routingKey, 'user.registered');
    assert.equal(message.messageId, r.id);
    assert.equal(message.type, 'authstream.user.registered');
    assert.equal(message.timestamp.toISOString(), at);
    assert.match(message.contentType, /^application\/cloudevents\+json/);
    const body = JSON.parse(message.body.toString('utf8'));
    assert.deepEqual(Object.keys(body).sort(), ['data', 'datacontenttype', 'id', 'source', 'specversion', 'subject', 'time', 'type']);
    assert.equal(body.specversion, '1.0');
    assert.equal(body.id, r.id);
    assert.equal(body.source, '/authstream');
    assert.equal(body.subject, userId);
    assert.equal(body.time, at);
    assert.equal(body.datacontenttype, 'application/json');
    assert.equal(body.data.username, 'alice');
    assert.ok(!message.body.toString('utf8').includes('argon2'), 'the hash must not leave the store');
    assert.ok(!('passwordHash' in body.data));
  });

  it('publishes no token material and no reservation streams', () => {
    const token = userEvent('AuthTokenCreated', { userId, tokenId: 'the-token-id', keyHash: 'the-key-hash', at });
    const body = toMessage(recorded(userStream(userId), token.type, token.data), '/a')!.body.toString('utf8');
    assert.ok(!body.includes('the-token-id') && !body.includes('the-key-hash'));
    assert.equal(toMessage(recorded('reservation-username-alice', 'NameReserved', { v: 1, userId, at }), '/a'), null);
    assert.equal(toMessage(recorded('other-stream', 'UserActivated', { v: 1, userId, at }), '/a'), null);
  });

  it('refuses an account event this version cannot read rather than dropping it', () => {
    // As a newer release could write: a type this one does not know, a known type in a later version.
    assert.throws(() => toMessage(recorded(userStream(userId), 'UserTeleported', { v: 1, userId, at }), '/a'), /unknown/);
    assert.throws(() => toMessage(recorded(userStream(userId), 'UserActivated', { v: 99, userId, at }), '/a'));
  });

  it('reads a message back, and refuses what is not one of ours', () => {
    const event = userEvent('PasswordChanged', { userId, passwordHash: '$argon2id$x', reason: 'reset', at });
    const message = toMessage(recorded(userStream(userId), event.type, event.data), '/a')!;
    const parsed = parseMessage(message.body);
    assert.equal(parsed.event.type, 'PasswordChanged');
    assert.equal(parsed.event.data.userId, userId);
    assert.equal(parsed.cloudEvent.id, message.messageId);
    for (const bad of [
      'not json',
      '{}',
      JSON.stringify({ ...JSON.parse(message.body.toString()), type: 'authstream.user.exploded' }),
      JSON.stringify({ ...JSON.parse(message.body.toString()), data: { userId: 'x' } }),
    ]) {
      assert.throws(() => parseMessage(Buffer.from(bad)), MalformedMessageError, bad);
    }
  });

  it('matches topics like RabbitMQ', () => {
    assert.ok(topicMatches('user.registered', 'user.registered'));
    assert.ok(!topicMatches('user.registered', 'user.activated'));
    assert.ok(topicMatches('user.*', 'user.activated'));
    assert.ok(!topicMatches('user.*', 'user.a.b'));
    assert.ok(topicMatches('#', 'user.a.b'));
    assert.ok(topicMatches('user.#', 'user'));
    assert.ok(topicMatches('*.registered', 'user.registered'));
  });

  it('backs off exponentially up to the cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((a) => retryDelay(a, 1_000, 60_000)),
      [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000],
    );
  });

  it('binds the email queue only to events that can need an email', () => {
    assert.deepEqual([...emailBindings].sort(), [
      'user.activated',
      'user.activation_email_requested',
      'user.email_changed',
      'user.email_verification_requested',
      'user.password_changed',
      'user.password_reset_requested',
      'user.registered',
      'user.username_changed',
      'user.username_reset_requested',
    ]);
  });
});

describe('AsyncAPI document', () => {
  it('has a channel, an operation and a message per event type, with schemas from zod', () => {
    const doc = buildAsyncApi() as any;
    assert.equal(doc.asyncapi, '3.0.0');
    for (const type of userEventTypes) {
      const id = type[0]!.toLowerCase() + type.slice(1);
      assert.equal(doc.channels[id].address, routingKey(type));
      assert.equal(doc.channels[id].bindings.amqp.exchange.type, 'topic');
      assert.equal(doc.operations[`publish${type}`].action, 'send');
      const payload = doc.components.messages[type].payload;
      assert.equal(payload.properties.type.const, `authstream.${routingKey(type)}`);
      assert.equal(payload.properties.data.$ref, `#/components/schemas/${type}`);
      assert.deepEqual(Object.keys(doc.components.schemas[type].properties).sort(), Object.keys(publicSchema(type).shape).sort());
    }
    assert.ok(!JSON.stringify(doc).match(/passwordHash|keyHash|tokenId/));
  });

  it('docs/asyncapi.json is what `npm run asyncapi` generates', async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
    const onDisk = await readFile(new URL('../../docs/asyncapi.json', import.meta.url), 'utf8');
    assert.equal(onDisk, `${JSON.stringify(buildAsyncApi({ version: pkg.version }), null, 2)}\n`, 'run npm run asyncapi');
  });
});
