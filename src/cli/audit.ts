// `npm run audit-log -- <username | email | user id>`: an account's history from the log, one JSON line per event, in
// public form (no password hashes, no token material). Usernames are found through their reservation streams, so
// every account that ever held the name is shown; emails by scanning the log.
import { loadConfig } from '../config.js';
import { openEventStore } from '../adapters.js';
import type { EventStore } from '../store/port.js';
import { isUserStream, parseUserEvent, publicData, userStream } from '../events/user.events.js';
import { parseReservationEvent, reservationStream } from '../events/reservation.events.js';
import { emailKey, usernameKey } from '../commands/normalize.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function accountsMatching(store: EventStore, who: string): Promise<string[]> {
  if (UUID.test(who)) return [who.toLowerCase()];
  const ids = new Set<string>();
  if (who.includes('@')) {
    for await (const e of store.readAll()) {
      if (isUserStream(e.streamId) && typeof e.data.email === 'string' && emailKey(e.data.email) === emailKey(who))
        ids.add(String(e.data.userId));
    }
  }
  for (const e of await store.readStream(reservationStream('username', usernameKey(who)))) {
    ids.add(parseReservationEvent(e.type, e.data).data.userId);
  }
  return [...ids];
}

export async function* auditTrail(store: EventStore, userId: string): AsyncGenerator<Record<string, unknown>> {
  for (const e of await store.readStream(userStream(userId))) {
    const event = parseUserEvent(e.type, e.data);
    yield {
      userId,
      revision: Number(e.revision),
      position: String(e.position.commit),
      recorded: e.created.toISOString(),
      eventId: e.id,
      type: event.type,
      data: publicData(event),
    };
  }
}

async function main(): Promise<void> {
  const who = process.argv[2];
  if (!who) {
    console.error('usage: npm run audit-log -- <username | email | user id>');
    process.exit(2);
  }
  const store = await openEventStore(loadConfig());
  try {
    const ids = await accountsMatching(store, who);
    if (ids.length === 0) console.error(`no account found for ${who}`);
    for (const id of ids) for await (const line of auditTrail(store, id)) process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(`audit failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
