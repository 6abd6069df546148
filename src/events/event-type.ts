// How an event type is declared: a versioned zod schema, the fields that must never leave the event store, and the
// upcasters that bring data written by older versions up to the current one. Every flow declares its events with
// this; account.events.ts gathers them into the one registry the store, the projections and the relay read.
import { z } from 'zod';

/** Brings data of version n to version n + 1. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

export interface EventType<Shape extends z.ZodRawShape = z.ZodRawShape> {
  /** The current version's schema; `v` is part of the data. */
  readonly schema: z.ZodObject<Shape & { v: z.ZodLiteral<number> }>;
  readonly version: number;
  /** Fields kept in the log only: hashes and token material. The public form (AMQP, audit, logs) omits them. */
  readonly secret: readonly string[];
  /** upcasters[n] turns version n into n + 1 (n from 1). */
  readonly upcasters: Readonly<Record<number, Upcaster>>;
  /** Personal data, sealed with the account's own key in the log: erasing the key erases them. */
  readonly personal: readonly string[];
  /** What an erased personal field reads as, where "[erased]" would not fit its schema. */
  readonly erased: Readonly<Record<string, unknown>>;
}

export function eventType<Shape extends z.ZodRawShape>(
  fields: Shape,
  options: {
    version?: number;
    secret?: readonly (keyof Shape & string)[];
    personal?: readonly (keyof Shape & string)[];
    erased?: Partial<Record<keyof Shape & string, unknown>>;
    upcasters?: Record<number, Upcaster>;
  } = {},
): EventType<Shape> {
  const version = options.version ?? 1;
  return {
    schema: z.object({ v: z.literal(version), ...fields }) as EventType<Shape>['schema'],
    version,
    secret: options.secret ?? [],
    upcasters: options.upcasters ?? {},
    personal: options.personal ?? [],
    erased: options.erased ?? {},
  };
}

/** Data as stored at any version, brought up to the current one; throws if a version has no path up. */
export function upcast(type: EventType, data: Record<string, unknown>): Record<string, unknown> {
  let current = data;
  for (let guard = 0; typeof current.v === 'number' && current.v < type.version; guard++) {
    const up = type.upcasters[current.v];
    if (!up || guard > 100) throw new Error(`no upcaster from version ${current.v}`);
    current = up(current);
  }
  return current;
}

// Fields most account events share. An account id is a UUID or a positive decimal (Django's AutoField).
export const userId = z.union([z.uuid(), z.string().regex(/^[1-9][0-9]{0,17}$/)]);
export const at = z.iso.datetime();
