// The audit trail from the log, in public form (no password hashes, no token material, no sealed keys): the logic
// behind `authstream audit` (src/cli/commands/audit.ts). Strictly read-only: the store is opened read-only and
// nothing here writes.
//
// Finding accounts never scans the log when an index answers:
//   - a user id (UUID or decimal): its stream `user-<id>`;
//   - a username: its reservation streams (named by a keyed hash of the name; and the one older versions named by
//     the name itself), where every NameReserved names an account that held the name;
//   - an email address: its mailbox stream (lookup.events.ts: every account that took the address), else its
//     reservation stream (where emails are unique), else — a log written before mailboxes were recorded — a scan
//     of the whole log (`scan: 'never'` refuses it, `'always'` adds it to the indexes' answer).
import { comparePositions, type EventStore, type RecordedEvent } from '../store/port.js';
import { isUserStream, parseUserEvent, userStream, USER_STREAM_PREFIX, type UserEvent } from '../events/user.events.js';
import { registryDecoder, type AuditDecoder } from '../commands/audit.js';
import { publicLineOf, type PublicEventLine } from './public-event.js';

export { registryDecoder, type AuditDecoder };
import { legacyReservationStream, parseReservationEvent, reservationStream } from '../events/reservation.events.js';
import {
  emailHolders,
  emailHoldersStream,
  loginDigest,
  parseUnknownLoginEvent,
  unknownLoginsStream,
  type UnknownLoginEvent,
} from '../events/lookup.events.js';
import { emailKey, usernameKey } from '../commands/normalize.js';

// An account id: a UUID, or a decimal (Django's AutoField).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DECIMAL = /^[1-9][0-9]{0,17}$/;

/** How an account was found: which index (or the scan) answered, and with how many accounts. */
export interface LookupStep {
  readonly path: 'id' | 'username-reservation' | 'email-mailbox' | 'email-reservation' | 'email-scan';
  readonly stream?: string;
  readonly found: number;
  readonly note?: string;
}

export interface Lookup {
  readonly ids: string[];
  readonly steps: LookupStep[];
}

export interface LookupOptions {
  /**
   * The key that names mailbox and reservation streams (SECRET_KEY); without it only the streams older versions
   * named by the value itself, and the scan, can be used.
   */
  readonly mailboxKey?: string | undefined;
  /** 'auto' (default): scan for an email only when no index knows it; 'never'; 'always': indexes and the scan. */
  readonly scan?: 'auto' | 'never' | 'always';
}

/** Every account `who` names: by id, by a username it ever held, by an email address it ever held. */
export async function findAccounts(store: EventStore, who: string, options: LookupOptions = {}): Promise<Lookup> {
  const ids = new Set<string>();
  const steps: LookupStep[] = [];
  const add = (step: Omit<LookupStep, 'found'>, found: readonly string[]) => {
    const fresh = found.filter((id) => !ids.has(id));
    for (const id of found) ids.add(id);
    steps.push({ ...step, found: fresh.length });
  };

  if (UUID.test(who) || DECIMAL.test(who)) {
    const id = who.toLowerCase();
    const first = await store.readStream(userStream(id), { maxCount: 1 });
    add({ path: 'id', stream: userStream(id) }, first.length > 0 ? [id] : []);
    // A UUID is nobody's username in practice; a decimal may be one (Django allows digits only).
    if (UUID.test(who)) return { ids: [...ids], steps };
  }

  for (const stream of reservationStreams(options.mailboxKey, 'username', usernameKey(who))) {
    add({ path: 'username-reservation', stream }, reservedBy(await store.readStream(stream)));
  }

  if (who.includes('@')) {
    const key = emailKey(who);
    const scan = options.scan ?? 'auto';
    let indexed = 0;
    if (options.mailboxKey) {
      const stream = emailHoldersStream(options.mailboxKey, key);
      const holders = emailHolders(await store.readStream(stream));
      indexed += holders.length;
      add({ path: 'email-mailbox', stream }, holders);
    } else {
      steps.push({ path: 'email-mailbox', found: 0, note: 'no SECRET_KEY (nor DATA_DIR/secret_key): the mailbox index cannot be named' });
    }
    for (const stream of reservationStreams(options.mailboxKey, 'email', key)) {
      const reserved = reservedBy(await store.readStream(stream));
      indexed += reserved.length;
      add({ path: 'email-reservation', stream }, reserved);
    }
    if (scan === 'always' || (scan === 'auto' && indexed === 0)) {
      add({ path: 'email-scan', note: 'read the whole log' }, await scanForEmail(store, key));
    } else if (scan === 'never' && indexed === 0) {
      steps.push({ path: 'email-scan', found: 0, note: 'not scanned (--no-scan)' });
    }
  }
  return { ids: [...ids], steps };
}

/** The accounts found for `who` (compatibility with callers that need only the ids). */
export async function accountsMatching(store: EventStore, who: string, options: LookupOptions = {}): Promise<string[]> {
  return (await findAccounts(store, who, options)).ids;
}

/**
 * A value's reservation streams: the one named by a keyed hash of it (with the key), and the one an older version
 * named by the value itself (holders claimed before the rename are there, until a new claim carries them over).
 */
function reservationStreams(key: string | undefined, kind: 'username' | 'email', value: string): string[] {
  return [...(key ? [reservationStream(key, kind, value)] : []), legacyReservationStream(kind, value)];
}

function reservedBy(events: readonly RecordedEvent[]): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    const event = parseReservationEvent(e.type, e.data);
    if (event.type === 'NameReserved') ids.add(event.data.userId);
  }
  return [...ids];
}

/** Every account whose events ever gave it the address: registration, import, an email change. */
async function scanForEmail(store: EventStore, key: string): Promise<string[]> {
  const ids = new Set<string>();
  for await (const e of store.readAll()) {
    if (!isUserStream(e.streamId) || !EMAIL_EVENTS.has(e.type)) continue;
    let event: UserEvent;
    try {
      event = parseUserEvent(e.type, e.data);
    } catch {
      continue; // reported when the account's trail is printed
    }
    const email = (event.data as { email?: unknown }).email;
    if (typeof email === 'string' && emailKey(email) === key) ids.add(e.streamId.slice(USER_STREAM_PREFIX.length));
  }
  return [...ids];
}

const EMAIL_EVENTS = new Set(['UserRegistered', 'UserImported', 'EmailChanged', 'UserProfileUpdated']);

// ---------------------------------------------------------------------------------------------------------------
// Lines

export interface AuditLine extends PublicEventLine {
  /** correlationId, causationId, actor, ip, userAgent, schemaVersion (AUDIT_METADATA): nothing else. */
  readonly metadata: Record<string, unknown>;
}

/** The audit line of an account event; undefined for other streams. Throws if the event cannot be read. */
export function auditLine(e: RecordedEvent, decoder: AuditDecoder = registryDecoder): AuditLine | undefined {
  if (!isUserStream(e.streamId)) return undefined;
  return { ...publicLineOf(e, decoder.event(e)), metadata: decoder.metadata(e) };
}

export interface AuditFilter {
  /** Recorded at or after. */
  readonly since?: Date | undefined;
  /** Recorded at or before. */
  readonly until?: Date | undefined;
  /** Only these types (empty or undefined: all). */
  readonly types?: ReadonlySet<string> | undefined;
}

export const passes = (e: RecordedEvent, filter: AuditFilter): boolean =>
  (!filter.since || e.created >= filter.since) &&
  (!filter.until || e.created <= filter.until) &&
  (!filter.types || filter.types.size === 0 || filter.types.has(e.type));

/** An event that could not be read: named by position, stream and type, never by its data. */
export interface Unreadable {
  readonly position: string;
  readonly streamId: string;
  readonly type: string;
  readonly eventId: string;
  readonly reason: string;
}

export interface TrailOptions extends AuditFilter {
  readonly decoder?: AuditDecoder;
  /** Called for each event that cannot be read (default: skipped silently). */
  readonly onUnreadable?: (u: Unreadable) => void;
}

/** What is said of an event that cannot be read: where it is and why, never its data. */
function describeUnreadable(e: RecordedEvent, error: unknown): Unreadable {
  return {
    position: String(e.position.commit),
    streamId: e.streamId,
    type: e.type,
    eventId: e.id,
    reason: (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200),
  };
}

/** The audit lines of account events that pass the filter; each one that cannot be read is reported and passed over. */
async function* linesOf(events: Iterable<RecordedEvent> | AsyncIterable<RecordedEvent>, options: TrailOptions): AsyncGenerator<AuditLine> {
  for await (const e of events) {
    if (!isUserStream(e.streamId) || !passes(e, options)) continue;
    let l: AuditLine | undefined;
    try {
      l = auditLine(e, options.decoder);
    } catch (error) {
      options.onUnreadable?.(describeUnreadable(e, error));
    }
    if (l) yield l;
  }
}

/** One account's history, oldest first, through its stream (an index read: no scan). */
export async function* auditTrail(store: EventStore, userId: string, options: TrailOptions = {}): AsyncGenerator<AuditLine> {
  yield* linesOf(await store.readStream(userStream(userId)), options);
}

/** Several accounts' histories merged in log order. */
export async function* auditTrails(store: EventStore, userIds: readonly string[], options: TrailOptions = {}): AsyncGenerator<AuditLine> {
  const events = (await Promise.all(userIds.map((id) => store.readStream(userStream(id))))).flat();
  if (userIds.length > 1) events.sort((a, b) => comparePositions(a.position, b.position));
  yield* linesOf(events, options);
}

/** Every account's events, in log order (a scan of the log: `--all`). */
export async function* auditAll(store: EventStore, options: TrailOptions = {}): AsyncGenerator<AuditLine> {
  yield* linesOf(store.readAll(), options);
}

// ---------------------------------------------------------------------------------------------------------------
// Times

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`/`--until`: an ISO 8601 date or date-time (`2026-11-30`, `2026-11-30T12:00:00Z`; a date alone is its UTC
 * midnight), or an age before `now`: `90s`, `15m`, `12h`, `7d`, `2w`. Undefined if it is neither.
 */
export function parseWhen(value: string, now: Date = new Date()): Date | undefined {
  const relative = /^(\d{1,9})([smhdw])$/.exec(value.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNITS[relative[2]!]!);
  if (!/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i.test(value.trim())) return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value.trim()) ? `${value.trim()}T00:00:00Z` : value.trim());
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

// ---------------------------------------------------------------------------------------------------------------
// Failed logins for unknown accounts (lookup.events.ts)

export interface UnknownLoginLine {
  readonly stream: string;
  readonly position: string;
  readonly recorded: string;
  readonly eventId: string;
  readonly type: string;
  /** login (keyed hash), field, length, method, at: nothing else is stored. */
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

/** The default window of `--unknown-logins` without --since: the last 30 days. */
export const UNKNOWN_LOGINS_DEFAULT_DAYS = 30;

export interface UnknownLoginOptions {
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  /** Only attempts with this login (hashed with `mailboxKey` as each event's field says). */
  readonly login?: string | undefined;
  readonly mailboxKey?: string | undefined;
  readonly now?: Date;
  readonly onUnreadable?: (u: Unreadable) => void;
}

/** The failed logins of unknown names between since and until, oldest first: one stream read per UTC day. */
export async function* unknownLogins(store: EventStore, options: UnknownLoginOptions = {}): AsyncGenerator<UnknownLoginLine> {
  const now = options.now ?? new Date();
  const until = options.until ?? now;
  const since = options.since ?? new Date(until.getTime() - UNKNOWN_LOGINS_DEFAULT_DAYS * 86_400_000);
  if (options.login !== undefined && !options.mailboxKey)
    throw new Error('--login needs SECRET_KEY (or DATA_DIR/secret_key) to hash the name');
  const digests = new Map<string, string>();
  const digestOf = (field: 'username' | 'email') => {
    let d = digests.get(field);
    if (d === undefined) {
      const login = options.login!;
      d = loginDigest(options.mailboxKey!, field, field === 'email' ? emailKey(login) : usernameKey(login));
      digests.set(field, d);
    }
    return d;
  };
  const filter: AuditFilter = { since, until };
  for (let day = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()); day <= until.getTime(); day += 86_400_000) {
    const stream = unknownLoginsStream(new Date(day));
    for (const e of await store.readStream(stream)) {
      if (!passes(e, filter)) continue;
      let event: UnknownLoginEvent;
      try {
        event = parseUnknownLoginEvent(e.type, e.data);
      } catch (error) {
        options.onUnreadable?.(describeUnreadable(e, error));
        continue;
      }
      if (options.login !== undefined && event.data.login !== digestOf(event.data.field)) continue;
      yield {
        stream,
        position: String(e.position.commit),
        recorded: e.created.toISOString(),
        eventId: e.id,
        type: event.type,
        data: event.data,
        metadata: registryDecoder.metadata(e),
      };
    }
  }
}
