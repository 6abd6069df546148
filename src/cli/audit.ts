// An account's history from the log, in public form (no password hashes, no token material): the logic behind
// `authstream audit` (src/cli/commands/audit.ts). Usernames are found through their reservation streams, so every
// account that ever held the name is shown; emails by scanning the log.
import type { EventStore } from '../store/port.js';
import { isUserStream, userStream } from '../events/user.events.js';
import { legacyReservationStream, parseReservationEvent, reservationStream } from '../events/reservation.events.js';
import { emailKey, usernameKey } from '../commands/normalize.js';
import { publicEventLine, type PublicEventLine } from './public-event.js';

// An account id: a UUID, or a decimal (Django's AutoField).
const ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[1-9][0-9]{0,17})$/i;

/** `secretKey` names the reservation streams (a keyed hash); streams an older version named by the value are read too. */
export async function accountsMatching(store: EventStore, who: string, secretKey?: string): Promise<string[]> {
  if (ID.test(who)) return [who.toLowerCase()];
  const ids = new Set<string>();
  if (who.includes('@')) {
    for await (const e of store.readAll()) {
      if (isUserStream(e.streamId) && typeof e.data.email === 'string' && emailKey(e.data.email) === emailKey(who))
        ids.add(String(e.data.userId));
    }
  }
  const key = usernameKey(who);
  for (const stream of [...(secretKey ? [reservationStream(secretKey, 'username', key)] : []), legacyReservationStream('username', key)]) {
    for (const e of await store.readStream(stream)) ids.add(parseReservationEvent(e.type, e.data).data.userId);
  }
  return [...ids];
}

export async function* auditTrail(store: EventStore, userId: string): AsyncGenerator<PublicEventLine> {
  for (const e of await store.readStream(userStream(userId))) {
    const line = publicEventLine(e);
    if (line) yield line;
  }
}
