// Where the event log ends now: the position of its last event. `events tail` starts after it; `rebuild` measures
// its progress against it. Cheap on both stores: the embedded log knows its event count (event n sits at position
// (n, n)), EventStoreDB is asked for its last event, read backwards.
import type { Config } from '../config.js';
import type { EventStore, Position } from '../store/port.js';

export interface LogEnd {
  /** The last event's position; undefined for an empty log. */
  readonly position: Position | undefined;
  /** How positions count: events (embedded, exact) or bytes of EventStoreDB's transaction log. */
  readonly unit: 'events' | 'bytes';
}

/** The embedded store's event count (its in-memory index), when `store` is one. */
function embeddedEventCount(store: EventStore): number | undefined {
  const index = (store as { index?: { events?: unknown } }).index;
  return typeof index?.events === 'number' ? index.events : undefined;
}

export async function logEnd(store: EventStore, config: Config): Promise<LogEnd> {
  const events = embeddedEventCount(store);
  if (events !== undefined) {
    // A read-only store sees the writer's appends when it reads: one empty read brings its index up to date.
    for await (const _ of store.readAll({ maxCount: 0 })) break;
    const n = BigInt(embeddedEventCount(store) ?? events);
    return { position: n === 0n ? undefined : { commit: n, prepare: n }, unit: 'events' };
  }
  if (config.EVENTSTORE_URL) {
    const found = await esdbLastPosition(config.EVENTSTORE_URL).catch(() => null);
    if (found !== null) return { position: found, unit: 'bytes' };
  }
  // Any other store: read to the end.
  let position: Position | undefined;
  for await (const e of store.readAll()) position = e.position;
  return { position, unit: 'bytes' };
}

async function esdbLastPosition(url: string): Promise<Position | undefined> {
  const { BACKWARDS, END, EventStoreDBClient } = await import('@eventstore/db-client');
  const client = EventStoreDBClient.connectionString(url.replace(/^kurrent(?:db)?(\+discover)?:\/\//, 'esdb$1://'));
  try {
    for await (const resolved of client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 })) {
      const p = resolved.event?.position;
      if (p) return { commit: p.commit, prepare: p.prepare };
    }
    return undefined;
  } finally {
    await client.dispose();
  }
}
