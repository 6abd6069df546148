// The audit trail of one account: its stream's events, in public form (publicData: no password hash, no token
// material, no sealed key) with the metadata every event carries (who, from where, in which request). Read from the
// event store through its port, a page at a time by revision, so a long history costs one page. What GET
// users/me/events/ and users/<id>/events/ (src/http/routes/audit.ts) and `authstream audit` (src/cli/audit.ts) print.
import type { EventStore, RecordedEvent } from '../store/port.js';
import { parseUserEvent, publicData, userStream, type UserEvent } from '../events/user.events.js';

/** The metadata an audit shows: who, from where, in which request (and what caused it), at which schema version. */
export const AUDIT_METADATA = ['correlationId', 'causationId', 'actor', 'ip', 'userAgent', 'schemaVersion'] as const;

/**
 * How an account event is read for an audit: the registry's parse (upcasting older versions; the personal fields of
 * an erased account come back as "[erased]" once the registry decodes them) and the metadata shown. The one place
 * to plug another decoding in.
 */
export interface AuditDecoder {
  event(e: RecordedEvent): UserEvent;
  metadata(e: RecordedEvent): Record<string, unknown>;
}

export const registryDecoder: AuditDecoder = {
  event: (e) => parseUserEvent(e.type, e.data),
  metadata: (e) => Object.fromEntries(AUDIT_METADATA.filter((k) => e.metadata[k] !== undefined).map((k) => [k, e.metadata[k]])),
};

/** One event as the HTTP audit shows it. */
export interface AuditItem {
  /** The event's id. */
  readonly id: string;
  readonly type: string;
  /** Its revision in the account's stream, from 0. */
  readonly revision: number;
  /** When the event store recorded it. */
  readonly at: string;
  /** The public form; null for an event this version cannot read (never its raw data). */
  readonly data: Record<string, unknown> | null;
  readonly metadata: Record<string, unknown>;
  /** Only on an event this version cannot read. */
  readonly unreadable?: true;
}

export type AuditOrder = 'newest' | 'oldest';

export function auditItem(e: RecordedEvent, decoder: AuditDecoder = registryDecoder): AuditItem {
  const at = e.created.toISOString();
  const metadata = decoder.metadata(e);
  let event: UserEvent;
  try {
    event = decoder.event(e);
  } catch {
    return { id: e.id, type: e.type, revision: Number(e.revision), at, data: null, metadata, unreadable: true };
  }
  return { id: e.id, type: event.type, revision: Number(e.revision), at, data: publicData(event), metadata };
}

export function auditUseCases(deps: { readonly store: EventStore; readonly decoder?: AuditDecoder }) {
  const { store } = deps;
  return {
    /** How many events the account's stream holds (0: no such stream). */
    async count(userId: string): Promise<number> {
      const [last] = await store.readStream(userStream(userId), { direction: 'backwards', maxCount: 1 });
      return last ? Number(last.revision) + 1 : 0;
    },

    /** A page of the account's events: `offset` events from the newest (or the oldest) one, at most `limit`. */
    async page(userId: string, page: { offset: number; limit: number; order: AuditOrder }, total?: number): Promise<AuditItem[]> {
      const { offset, limit, order } = page;
      if (limit <= 0) return [];
      const stream = userStream(userId);
      let events: RecordedEvent[];
      if (order === 'oldest') {
        events = await store.readStream(stream, { fromRevision: BigInt(offset), maxCount: limit });
      } else {
        const count = total ?? (await this.count(userId));
        const from = count - 1 - offset;
        events = from < 0 ? [] : await store.readStream(stream, { direction: 'backwards', fromRevision: BigInt(from), maxCount: limit });
      }
      return events.map((e) => auditItem(e, deps.decoder));
    },
  };
}

export type AuditUseCases = ReturnType<typeof auditUseCases>;
