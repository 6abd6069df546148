// Reservations make the login field (and email, where unique) unique on the write side: one stream per normalised
// value, claimed by appending with an expected revision. They are internal: not account events, never published.
// A stream is named by a keyed hash of the value, never the value: an erased account's names are in no stream name.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { RecordedEvent } from '../store/port.js';
import { at, eventType, upcast, userId } from './event-type.js';
import type { ReservedKind } from '../commands/decider.js';

export const RESERVATION_STREAM_PREFIX = 'reservation-';

/** The stream of a normalised value: `reservation-<kind>-<HMAC(secretKey, kind, key), 40 hex digits>`. */
export const reservationStream = (secretKey: string, kind: ReservedKind, key: string): string =>
  `${RESERVATION_STREAM_PREFIX}${kind}-${createHmac('sha256', secretKey).update(`authstream.reservation:${kind}:${key}`).digest('hex').slice(0, 40)}`;

/** The stream an older version named by the value itself; read once per value, to carry its holder over. */
export const legacyReservationStream = (kind: ReservedKind, key: string): string => `reservation-${kind}-${key}`;

const types = {
  NameReserved: eventType({ userId, at }),
  NameReleased: eventType({ userId, at }),
};

export type ReservationEvent = {
  [T in keyof typeof types]: { readonly type: T; readonly data: z.output<(typeof types)[T]['schema']> };
}[keyof typeof types];

export function parseReservationEvent(type: string, data: unknown): ReservationEvent {
  if (type !== 'NameReserved' && type !== 'NameReleased') throw new Error(`unknown reservation event type ${type}`);
  const spec = types[type];
  return { type, data: spec.schema.parse(upcast(spec, (data ?? {}) as Record<string, unknown>)) } as ReservationEvent;
}

export function reservationEvent(type: ReservationEvent['type'], data: { userId: string; at: string }): ReservationEvent {
  return { type, data: types[type].schema.parse({ ...data, v: types[type].version }) };
}

export const reservationCodec = {
  parse: (recorded: RecordedEvent): ReservationEvent => parseReservationEvent(recorded.type, recorded.data),
  serialize: (event: ReservationEvent) => ({ type: event.type, data: event.data as Record<string, unknown> }),
};
