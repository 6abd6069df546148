// Reservations make the login field (and email, where unique) unique on the write side: one stream per normalised
// value, claimed by appending with an expected revision. They are internal: not account events, never published.
import { z } from 'zod';

export type ReservedField = 'username' | 'email';

export const reservationStream = (field: ReservedField, key: string): string => `reservation-${field}-${key}`;

const schemas = {
  NameReserved: z.object({ v: z.literal(1), userId: z.uuid(), at: z.iso.datetime() }),
  NameReleased: z.object({ v: z.literal(1), userId: z.uuid(), at: z.iso.datetime() }),
} as const;

export type ReservationEvent =
  | { readonly type: 'NameReserved'; readonly data: z.output<typeof schemas.NameReserved> }
  | { readonly type: 'NameReleased'; readonly data: z.output<typeof schemas.NameReleased> };

export function parseReservationEvent(type: string, data: unknown): ReservationEvent {
  if (type === 'NameReserved' || type === 'NameReleased') return { type, data: schemas[type].parse(data) } as ReservationEvent;
  throw new Error(`unknown reservation event type ${type}`);
}
