// Account events as CloudEvents 1.0, structured mode (the whole event is the JSON body). Only events of account
// streams leave the store, and only in their public form: no password hash, no token material.
import { z } from 'zod';
import type { RecordedEvent } from '../store/port.js';
import {
  isUserStream,
  parseUserEvent,
  publicData,
  publicSchema,
  routingKey,
  userEventTypes,
  type UserEvent,
  type UserEventType,
} from '../events/user.events.js';
import type { OutgoingMessage } from './bus.js';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';
export const CLOUDEVENT_TYPE_PREFIX = 'authstream.';

export interface CloudEvent {
  readonly specversion: '1.0';
  /** The event's id in the store: stable across republishing, so consumers deduplicate on it. */
  readonly id: string;
  readonly source: string;
  /** authstream.<routing key>, e.g. authstream.user.registered */
  readonly type: string;
  /** The account's id. */
  readonly subject: string;
  /** When it happened (the event's `at`). */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: Record<string, unknown>;
}

/** The CloudEvents envelope, without `data` (for the AsyncAPI document and for checking what arrives). */
export const cloudEventEnvelope = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  type: z.string().min(1),
  subject: z.string().min(1),
  time: z.iso.datetime(),
  datacontenttype: z.literal('application/json'),
});

const CLOUDEVENT_TYPES: ReadonlyMap<string, string> = new Map(userEventTypes.map((t) => [t, `${CLOUDEVENT_TYPE_PREFIX}${routingKey(t)}`]));

export const cloudEventType = (type: UserEventType): string => CLOUDEVENT_TYPES.get(type)!;

const byCloudEventType = new Map(userEventTypes.map((t) => [cloudEventType(t), t] as const));

/**
 * The message for a recorded event, or null when it does not leave the store (not an account stream). Throws for an
 * account event this version cannot read (an unknown type or version, as a newer release could write): dropping it
 * would hide it from every subscriber for good.
 */
export function toMessage(recorded: RecordedEvent, source: string, binds?: (routingKey: string) => boolean): OutgoingMessage | null {
  if (!isUserStream(recorded.streamId)) return null;
  // Parsed even when nobody takes it: an event this release cannot read stops the relay either way.
  const event = parseUserEvent(recorded.type, recorded.data);
  const key = routingKey(event.type);
  if (binds && !binds(key)) return null;
  const at = typeof event.data.at === 'string' ? event.data.at : recorded.created.toISOString();
  const cloudEvent: CloudEvent = {
    specversion: '1.0',
    id: recorded.id,
    source,
    type: cloudEventType(event.type),
    subject: event.data.userId,
    time: at,
    datacontenttype: 'application/json',
    data: publicData(event),
  };
  return {
    routingKey: key,
    messageId: recorded.id,
    type: cloudEvent.type,
    timestamp: new Date(at),
    contentType: CLOUDEVENTS_CONTENT_TYPE,
    body: Buffer.from(JSON.stringify(cloudEvent)),
  };
}

export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
}

/**
 * Reads a message body back into a CloudEvent and the account event's public form. Throws MalformedMessageError for
 * anything that is not one of ours (unknown type, bad envelope or data).
 */
export function parseMessage(body: Buffer): { cloudEvent: CloudEvent; event: UserEvent } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedMessageError('body is not JSON');
  }
  const envelope = cloudEventEnvelope.safeParse(json);
  if (!envelope.success)
    throw new MalformedMessageError(`not a CloudEvent: ${envelope.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  const type = byCloudEventType.get(envelope.data.type);
  if (!type) throw new MalformedMessageError(`unknown event type ${envelope.data.type}`);
  const data = publicSchema(type).safeParse((json as { data?: unknown }).data);
  if (!data.success) throw new MalformedMessageError(`data does not match ${type}`);
  // The public form lacks the secret fields; consumers only read public ones (e.g. userId, isActive).
  const event = { type, data: data.data } as unknown as UserEvent;
  return { cloudEvent: { ...envelope.data, data: data.data }, event };
}
