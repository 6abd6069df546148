// Reservations make the login field (and email, where unique) unique on the write side: one stream per normalised
// value, claimed by appending with an expected revision. They are internal: not account events, never published.
import { z } from 'zod';
import type { RecordedEvent } from '../store/port.js';
import { at, eventType, upcast, userId } from './event-type.js';
import type { ReservedKind } from '../commands/decider.js';

export const reservationStream = (kind: ReservedKind, key: string): string => `reservation-${kind}-${key}`;

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
