// An account event as the CLIs print it: one JSON object per event, with the event's public form only (no password
// hash, no token material: publicData drops every field its type marks secret). Raw event data is never printed.
import type { RecordedEvent } from '../store/port.js';
import { isUserStream, parseUserEvent, publicData, USER_STREAM_PREFIX, type UserEvent } from '../events/user.events.js';

export interface PublicEventLine {
  readonly userId: string;
  readonly revision: number;
  readonly position: string;
  readonly recorded: string;
  readonly eventId: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** The public line of an account event; undefined for other streams (username/email reservations). Throws on an
 * account event that does not parse (an unknown type or a schema mismatch). */
export function publicEventLine(e: RecordedEvent): PublicEventLine | undefined {
  if (!isUserStream(e.streamId)) return undefined;
  return publicLineOf(e, parseUserEvent(e.type, e.data));
}

/** The public line of an account event already read (by the registry, or by the audit's decoder). */
export function publicLineOf(e: RecordedEvent, event: UserEvent): PublicEventLine {
  return {
    userId: e.streamId.slice(USER_STREAM_PREFIX.length),
    revision: Number(e.revision),
    position: String(e.position.commit),
    recorded: e.created.toISOString(),
    eventId: e.id,
    type: event.type,
    data: publicData(event),
  };
}
