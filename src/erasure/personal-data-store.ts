// The event store as everything above it sees it, with each account's personal data sealed under the account's own
// key (crypto-shredding). On the way in, an account event's personal fields (its type's `personal`) and the client's
// address and agent in its metadata move into one sealed field; on the way out they are opened again — or, once the
// key is erased, read as "[erased]" (or the type's `erased` value), so the events still parse, fold and replay.
// Every reader (command handler, projections, relay, audit, CLI) goes through this one decorator; the log holds only
// the sealed form. The streams of a value (reservations, mailboxes) belong to no one account: they keep no client
// address or agent at all (an email request made with just an address keeps its correlation id, which the access
// log ties to the address for as long as logs are kept). Failed logins for unknown names keep theirs: they belong to
// no account, and telling a credential-stuffing source is what they are for (their day streams can be dropped).
import type { AllSubscription, EventStore, EventToAppend, RecordedEvent } from '../store/port.js';
import { isUserStream, personalFields, USER_STREAM_PREFIX } from '../events/user.events.js';
import { isMailboxStream } from '../events/mailbox.events.js';
import { RESERVATION_STREAM_PREFIX } from '../events/reservation.events.js';
import type { AccountKeyStore, KeyLookup } from './account-keys.js';
import { ERASED, openJson, sealJson } from './personal-data.js';
import { BoundedMap } from '../bounded-map.js';

/** Where an event's sealed personal data is kept: which fields were sealed (names only), and the sealed value. */
export const SEALED_FIELD = 'sealed';

/** The metadata fields that are personal data: the client's address and user agent. */
const PERSONAL_METADATA = ['ip', 'userAgent'] as const;

interface Sealed {
  /** Data fields sealed, by name. */
  readonly fields: readonly string[];
  /** Metadata fields sealed, by name. */
  readonly metadata: readonly string[];
  /** `enc:v1:` of { data, metadata }. */
  readonly value: string;
}

const isSealedRecord = (value: unknown): value is Sealed =>
  typeof value === 'object' &&
  value !== null &&
  Array.isArray((value as Sealed).fields) &&
  Array.isArray((value as Sealed).metadata) &&
  typeof (value as Sealed).value === 'string';

const isValueStream = (streamId: string): boolean => isMailboxStream(streamId) || streamId.startsWith(RESERVATION_STREAM_PREFIX);

const accountOf = (streamId: string): string | null => (isUserStream(streamId) ? streamId.slice(USER_STREAM_PREFIX.length) : null);

const pick = (from: Record<string, unknown>, names: readonly string[]) => names.filter((name) => from[name] !== undefined);

function without(from: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out = { ...from };
  for (const name of names) delete out[name];
  return out;
}

/** Sealed events whose account has no key where this process looks for keys: a misconfiguration, never erasure. */
export class MissingAccountKeyError extends Error {
  constructor(streamId: string, revision: bigint) {
    super(
      `${streamId}@${revision} is sealed with an account key this process cannot find: the keys are in MongoDB's ` +
        'account_keys with MONGODB_URI, else under DATA_DIR/keys; point MONGODB_URI or DATA_DIR where the writer keeps them',
    );
    this.name = 'MissingAccountKeyError';
  }
}

/**
 * The clear text of the values sealed or opened lately, by their sealed form. Each event is opened by every reader
 * (the projections, the relay, the next command's read), and setting up a cipher is the costliest step of a login
 * after the hash. Consulted only while the account has its key: once it is erased, its events read as erased.
 */
type RecentPlainTexts = BoundedMap<string, string>;
const RECENT_PLAIN_TEXTS = 4096;

/** An event to append with its personal data sealed under `key` (null: the key is erased, so the data is dropped). */
function sealEvent(event: EventToAppend, key: Buffer | null, recent: RecentPlainTexts): EventToAppend {
  const { fields: personal, erased } = personalFields(event.type);
  const metadata = event.metadata ?? {};
  const fields = pick(event.data, personal);
  const metadataFields = pick(metadata, PERSONAL_METADATA);
  if (fields.length === 0 && metadataFields.length === 0) return event;
  if (!key) {
    // An erased account keeps no personal data, even in what is written after its erasure.
    const data = { ...event.data };
    for (const name of fields) data[name] = name in erased ? erased[name] : ERASED;
    return { ...event, data, metadata: without(metadata, metadataFields) };
  }
  const plain = {
    data: Object.fromEntries(fields.map((name) => [name, event.data[name]])),
    metadata: Object.fromEntries(metadataFields.map((name) => [name, metadata[name]])),
  };
  const json = JSON.stringify(plain);
  const sealed: Sealed = { fields, metadata: metadataFields, value: sealJson(key, json) };
  recent.set(sealed.value, json);
  return { ...event, data: { ...without(event.data, fields), [SEALED_FIELD]: sealed }, metadata: without(metadata, metadataFields) };
}

/** A recorded event with its personal data opened (or erased, when `key` is null). */
function openEvent(event: RecordedEvent, key: Buffer | null, recent: RecentPlainTexts): RecordedEvent {
  const sealed = event.data[SEALED_FIELD] as Sealed;
  const plain = key ? (JSON.parse(plainTextOf(sealed.value, key, recent)) as PlainPart) : erasedPlain(event.type, sealed);
  return {
    ...event,
    data: { ...without(event.data, [SEALED_FIELD]), ...plain.data },
    metadata: { ...event.metadata, ...plain.metadata },
  };
}

type PlainPart = { data: Record<string, unknown>; metadata: Record<string, unknown> };

function plainTextOf(sealed: string, key: Buffer, recent: RecentPlainTexts): string {
  let json = recent.get(sealed);
  if (json === undefined) {
    json = openJson(key, sealed);
    recent.set(sealed, json);
  }
  return json;
}

/** What a sealed event's personal part reads as once its key is erased. */
function erasedPlain(type: string, sealed: Sealed): PlainPart {
  const { erased } = personalFields(type);
  return {
    data: Object.fromEntries(sealed.fields.map((name) => [name, name in erased ? erased[name] : ERASED])),
    metadata: Object.fromEntries(sealed.metadata.map((name) => [name, ERASED])),
  };
}

/** An event written before sealing existed, with the personal data it carries in clear masked (its account is erased). */
function maskEvent(event: RecordedEvent): RecordedEvent {
  const { fields: personal, erased } = personalFields(event.type);
  const fields = pick(event.data, personal);
  const metadataFields = pick(event.metadata, PERSONAL_METADATA);
  if (fields.length === 0 && metadataFields.length === 0) return event;
  const data = { ...event.data };
  for (const name of fields) data[name] = name in erased ? erased[name] : ERASED;
  const metadata = { ...event.metadata };
  for (const name of metadataFields) metadata[name] = ERASED;
  return { ...event, data, metadata };
}

/**
 * How a reader sees events read from the log: their personal data opened, or erased. Used by personalDataStore, and
 * on its own by a reader that takes events from the file itself (a replay's worker thread).
 */
export function personalDataReader(keys: AccountKeyStore, recent: RecentPlainTexts = new BoundedMap(RECENT_PLAIN_TEXTS)) {
  const opened = (event: RecordedEvent, found: KeyLookup): RecordedEvent => {
    if (isSealedRecord(event.data[SEALED_FIELD])) {
      // Keys are stored before any event sealed with them: no key at all means this reader looks in the wrong place.
      if (!found) throw new MissingAccountKeyError(event.streamId, event.revision);
      return openEvent(event, 'key' in found ? found.key : null, recent);
    }
    // Older, unsealed events of an erased account: the log keeps them (it is append-only), no reader sees them.
    return found && 'erased' in found ? maskEvent(event) : event;
  };

  function open(event: RecordedEvent): RecordedEvent | Promise<RecordedEvent> {
    const userId = accountOf(event.streamId);
    if (!userId) return event;
    const cached = keys.peek(userId);
    return cached !== undefined ? opened(event, cached) : keys.find(userId).then((found) => opened(event, found));
  }

  // An async generator's yield awaits what it yields: `yield await` would cost every event of a replay a second turn.
  async function* openAll(events: AsyncIterable<RecordedEvent>): AsyncIterable<RecordedEvent> {
    for await (const event of events) yield open(event);
  }

  return { open, openAll };
}

export function personalDataStore(inner: EventStore, keys: AccountKeyStore): EventStore {
  const recent: RecentPlainTexts = new BoundedMap(RECENT_PLAIN_TEXTS);
  const { open, openAll } = personalDataReader(keys, recent);
  return {
    async append(streamId, events, expected) {
      const userId = accountOf(streamId);
      if (!userId) {
        if (!isValueStream(streamId)) return inner.append(streamId, events, expected);
        return inner.append(
          streamId,
          events.map((e) => ({ ...e, metadata: without(e.metadata ?? {}, PERSONAL_METADATA) })),
          expected,
        );
      }
      const needsKey = events.some(
        (e) => pick(e.data, personalFields(e.type).fields).length > 0 || pick(e.metadata ?? {}, PERSONAL_METADATA).length > 0,
      );
      const key = needsKey ? await keys.keyFor(userId) : null;
      return inner.append(streamId, needsKey ? events.map((e) => sealEvent(e, key, recent)) : events, expected);
    },
    async readStream(streamId, options) {
      const events = await inner.readStream(streamId, options);
      return accountOf(streamId) ? Promise.all(events.map(open)) : events;
    },
    readAll: (options) => openAll(inner.readAll(options)),
    subscribeToAll(from): AllSubscription {
      const subscription = inner.subscribeToAll(from);
      return { [Symbol.asyncIterator]: () => openAll(subscription)[Symbol.asyncIterator](), close: () => subscription.close() };
    },
    close: () => inner.close(),
    ...(inner.probe ? { probe: (timeoutMs: number) => inner.probe!(timeoutMs) } : {}),
  };
}
