// The AsyncAPI 3 document of what the relay publishes, generated from the zod event schemas (their public forms) and
// the CloudEvents envelope, so the message schemas are written once. `npm run asyncapi` writes docs/asyncapi.json;
// a unit test fails when the file is stale.
import { z } from 'zod';
import { publicSchema, routingKey, userEventTypes, type UserEventType } from '../events/user.events.js';
import { CLOUDEVENTS_CONTENT_TYPE, cloudEventEnvelope, cloudEventType } from './cloudevents.js';

const summaries: Record<UserEventType, string> = {
  UserRegistered: 'An account was created (inactive until activated when activation emails are on).',
  UserImported: 'An account was brought across from Django with its id, flags and dates (no hash is published).',
  RegistrationVoided: 'A registration that never completed was fenced out; the account id is never used.',
  ClaimVoided: 'A rename or email change of this account that never completed was fenced out; nothing changed.',
  UserActivated: 'The account was activated.',
  UserDeactivated: 'The account was deactivated (its email changed and must be confirmed again, or by staff).',
  ActivationEmailRequested: 'An activation email is due (at registration, or on resend_activation).',
  UserProfileUpdated: 'Profile fields changed; only the changed ones are present.',
  EmailChanged: 'The email address changed (the previous one is included, so it can be told).',
  UserDeleted: 'The account was deleted.',
  UserErased: "The account's key was destroyed: its personal data is unreadable from now on. Forget what you kept of it.",
  UserLoggedIn: 'A login recorded last_login.',
  LoginSucceeded: 'A login succeeded (DRF token, JWT or cookie); a JWT login names the session it started.',
  LoginFailed: 'A login of this account was refused: wrong password, inactive, or locked (never the password).',
  AccountLocked: 'Too many failed logins in a row: logins are refused until the given time.',
  AccountUnlocked: 'Staff lifted a lock.',
  CurrentPasswordRejected: 'A wrong current password was given to confirm an action.',
  SessionStarted: 'A JWT session (refresh-token family) began; no token material is published.',
  SessionRefreshed: 'A JWT session was refreshed (and its refresh token rotated where configured).',
  SessionRevoked: 'One JWT session ended: its tokens are refused from now on.',
  AllSessionsRevoked: 'Every JWT of the account issued before now is refused (new session epoch).',
  AuthTokenCreated: 'A DRF-style auth token was issued (no token material is published).',
  AuthTokenImported: 'A DRF auth token was brought across from Django (no token material is published).',
  AuthTokenDestroyed: 'The auth token was destroyed (logout).',
  PasswordChanged: 'The password was set or reset (no hash is published).',
  PasswordResetRequested: 'A password reset email is due.',
  PasswordRehashed: 'The same password was hashed again with the current algorithm (no hash is published).',
  UsernameChanged: 'The username was set or reset.',
  UsernameResetRequested: 'A username reset email is due.',
  EmailVerificationRequested: 'An email-confirmation email is due (dj-rest-auth: signup or resend-email); no key is published.',
  EmailVerified: "The account's email address was verified (by a confirmation key, or by a djoser activation link).",
};

const toJsonSchema = (schema: z.ZodType): Record<string, unknown> => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
  return rest;
};

/** UserRegistered → userRegistered */
const channelId = (type: UserEventType): string => type[0]!.toLowerCase() + type.slice(1);

export interface AsyncApiOptions {
  readonly exchange?: string;
  readonly version?: string;
}

export function buildAsyncApi(options: AsyncApiOptions = {}): Record<string, unknown> {
  const exchange = options.exchange ?? 'authstream.events';
  const exchangeBinding = {
    amqp: {
      is: 'routingKey',
      exchange: { name: exchange, type: 'topic', durable: true, autoDelete: false, vhost: '/' },
      bindingVersion: '0.3.0',
    },
  };
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const type of userEventTypes) {
    const id = channelId(type);
    const envelope = toJsonSchema(cloudEventEnvelope.extend({ type: z.literal(cloudEventType(type)) })) as {
      properties: Record<string, unknown>;
      required: string[];
    };
    envelope.properties.data = { $ref: `#/components/schemas/${type}` };
    envelope.required = [...envelope.required, 'data'];
    schemas[type] = { title: `${type} (public form)`, ...toJsonSchema(publicSchema(type)) };
    messages[type] = {
      name: type,
      title: type,
      summary: summaries[type],
      contentType: CLOUDEVENTS_CONTENT_TYPE,
      headers: {
        type: 'object',
        description:
          'AMQP basic properties (not headers): message_id = CloudEvent id, type = CloudEvent type, ' +
          'timestamp (seconds), content_type, delivery_mode 2 (persistent), app_id "authstream".',
      },
      payload: envelope,
      correlationId: { description: 'The event id, also the AMQP message_id: deduplicate on it.', location: '$message.payload#/id' },
      bindings: { amqp: { messageType: cloudEventType(type), bindingVersion: '0.3.0' } },
    };
    channels[id] = {
      address: routingKey(type),
      title: routingKey(type),
      description: `Routing key ${routingKey(type)} on the ${exchange} topic exchange.`,
      messages: { [type]: { $ref: `#/components/messages/${type}` } },
      bindings: exchangeBinding,
    };
    operations[`publish${type}`] = {
      action: 'send',
      title: `authstream publishes ${type}`,
      channel: { $ref: `#/channels/${id}` },
      messages: [{ $ref: `#/channels/${id}/messages/${type}` }],
      bindings: { amqp: { deliveryMode: 2, timestamp: true, mandatory: false, bindingVersion: '0.3.0' } },
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'authstream account events',
      version: options.version ?? '0.1.0',
      description:
        `Every event of an account's stream, published to the durable topic exchange \`${exchange}\` with the routing ` +
        'key user.<event> (e.g. user.registered), as a CloudEvents 1.0 structured-mode JSON message. Delivery is at ' +
        'least once: deduplicate on the message id (= the CloudEvent id = the event id). Order holds per account ' +
        'within one relay run; after a restart, events since the last checkpoint may be published again. Data is the ' +
        'public form of the event: no password hash, no token material. Bind your own durable queue (a quorum queue, ' +
        'as authstream declares its own), e.g. to user.#.',
    },
    defaultContentType: CLOUDEVENTS_CONTENT_TYPE,
    servers: {
      local: {
        host: '127.0.0.1:5672',
        protocol: 'amqp',
        protocolVersion: '0.9.1',
        description: 'RabbitMQ (AMQP_URL); docker compose maps it to localhost:5672.',
      },
    },
    channels,
    operations,
    components: { messages, schemas },
  };
}
