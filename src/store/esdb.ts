// The event-store port over EventStoreDB (gRPC, @eventstore/db-client 6.x).
import {
  ANY,
  BACKWARDS,
  END,
  ErrorType,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START as ESDB_START,
  STREAM_EXISTS,
  excludeSystemEvents,
  isCommandError,
  jsonEvent,
  type AppendExpectedRevision,
  type EventType,
  type JSONEventType,
  type Position as EsdbPosition,
  type RecordedEvent as EsdbRecordedEvent,
  type ResolvedEvent,
  type StreamingRead,
} from '@eventstore/db-client';
import {
  ConcurrencyError,
  START,
  comparePositions,
  type AllSubscription,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
} from './port.js';

export interface EsdbOptions {
  /** How long start-up waits for the server before giving up. */
  readonly startupTimeoutMs?: number;
}

export async function openEsdbEventStore(connectionString: string, options: EsdbOptions = {}): Promise<EventStore> {
  const client = EventStoreDBClient.connectionString(clientConnectionString(connectionString));
  try {
    await probe(client, options.startupTimeoutMs ?? 5_000);
  } catch (err) {
    await closeClient(client);
    throw startupError(connectionString, err);
  }
  return new EsdbEventStore(client);
}

/** Events per read call of $all; each call is read to its end before anything is handed out (see drain). */
const PAGE = 512;

class EsdbEventStore implements EventStore {
  private closed = false;
  /** Reads and subscriptions in flight, ended by close(): dispose() cancels their calls but not their streams. */
  private readonly inFlight = new Set<{ abort(): Promise<void> }>();

  constructor(private readonly client: EventStoreDBClient) {}

  async append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    // Like the embedded store: an empty append has no last event, hence no revision or position to report.
    if (events.length === 0) throw new RangeError(`append to ${streamId}: no events`);
    const proposed = events.map((e) => jsonEvent<JSONEventType>({ id: e.id, type: e.type, data: e.data, metadata: e.metadata }));
    try {
      const result = await this.client.appendToStream(streamId, proposed, { expectedRevision: toEsdbExpected(expected) });
      if (!result.position) throw new Error(`append to ${streamId} returned no position`);
      return { nextExpectedRevision: result.nextExpectedRevision, position: fromEsdbPosition(result.position) };
    } catch (err) {
      if (err instanceof Error && isCommandError(err) && err.type === ErrorType.WRONG_EXPECTED_VERSION) {
        throw new ConcurrencyError(streamId, expected, err.actualVersion);
      }
      throw err;
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const backwards = options.direction === 'backwards';
    if (options.maxCount === 0) return [];
    const read = this.client.readStream(streamId, {
      direction: backwards ? BACKWARDS : FORWARDS,
      fromRevision: options.fromRevision ?? (backwards ? END : ESDB_START),
      maxCount: options.maxCount,
    });
    try {
      return (await this.drain(read)).map((resolved) => toRecorded(recordOf(resolved)));
    } catch (err) {
      if (err instanceof Error && isCommandError(err) && err.type === ErrorType.STREAM_NOT_FOUND) return [];
      throw err;
    }
  }

  /**
   * Page by page. The 6.x client cannot filter reads on the server, so system events are skipped here and
   * maxCount counts user events only. Each page starts at the last position seen, which it holds again.
   */
  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    let left = options.maxCount ?? Infinity;
    let from = options.fromPosition ?? START;
    let seen: Position | undefined;
    while (left > 0) {
      this.assertOpen(); // a reader may come back for the next page after close()
      const fromPosition = comparePositions(from, START) === 0 ? ESDB_START : from;
      const page = (await this.drain(this.client.readAll({ fromPosition, maxCount: PAGE }))).map(recordOf);
      for (const record of page) {
        const position = fromEsdbPosition(record.position!);
        if (seen && comparePositions(position, seen) <= 0) continue;
        seen = position;
        if (isSystem(record)) continue;
        yield toRecorded(record);
        if (--left <= 0) return;
      }
      if (page.length < PAGE || !seen) return;
      from = seen;
    }
  }

  /** One event of $all read on the server, bounded in time (the start-up check, for /health/ready). */
  probe(timeoutMs: number): Promise<void> {
    this.assertOpen();
    return probe(this.client, timeoutMs);
  }

  subscribeToAll(from?: Position): AllSubscription {
    this.assertOpen();
    const client = this.client.subscribeToAll({
      fromPosition: from ?? ESDB_START,
      filter: excludeSystemEvents(),
    });
    const subscription = new EsdbSubscription(client, () => this.inFlight.delete(entry));
    const entry = { abort: () => subscription.close() };
    this.inFlight.add(entry);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.inFlight].map((op) => op.abort()));
    await closeClient(this.client);
  }

  /** Every message of a read, taken in flowing mode; close() fails the wait, and the stream still drains. */
  private drain(read: StreamingRead<ResolvedEvent>): Promise<ResolvedEvent[]> {
    return new Promise((resolve, reject) => {
      const entry = { abort: async () => reject(new Error('event store closed during a read')) };
      this.inFlight.add(entry);
      const events: ResolvedEvent[] = [];
      read.on('data', (resolved: ResolvedEvent) => events.push(resolved));
      read.on('error', (err: Error) => {
        this.inFlight.delete(entry);
        reject(err);
      });
      read.on('end', () => {
        this.inFlight.delete(entry);
        resolve(events);
      });
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('EventStoreDB event store is closed');
  }
}

type ClientSubscription = ReturnType<EventStoreDBClient['subscribeToAll']>;

/**
 * A queue between the client's stream and the consumer. Unlike the stream's own iterator it ends quietly on
 * close(), and throws (after handing out what already arrived) when the server ends or breaks the subscription
 * any other way, so the caller knows to resubscribe from its last position.
 */
class EsdbSubscription implements AllSubscription {
  private static readonly HIGH_WATER = 256;
  private readonly queue: RecordedEvent[] = [];
  private failure: Error | undefined;
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly subscription: ClientSubscription,
    private readonly onClose: () => void,
  ) {
    subscription.on('data', (resolved: ResolvedEvent) => {
      if (this.closed || this.failure) return; // nothing may overtake a failure: the caller resumes before it
      try {
        const record = recordOf(resolved);
        if (isSystem(record)) return; // the server filters on type; this also catches $-streams
        this.queue.push(toRecorded(record));
      } catch (err) {
        return this.fail(err as Error);
      }
      if (this.queue.length >= EsdbSubscription.HIGH_WATER) subscription.pause();
      this.notify();
    });
    subscription.on('error', (err: Error) => this.fail(new Error(`subscription to $all dropped: ${err.message}`, { cause: err })));
    subscription.on('end', () => this.fail(new Error('subscription to $all ended by the server')));
    subscription.on('close', () => this.fail(new Error('subscription to $all closed')));
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    try {
      while (!this.closed) {
        const next = this.queue.shift();
        if (next) {
          if (this.queue.length < EsdbSubscription.HIGH_WATER / 2) this.subscription.resume();
          yield next;
          continue;
        }
        if (this.failure) throw this.failure;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      await this.close(); // also when the consumer breaks out of its loop
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.notify();
    this.onClose();
    // Cancel, and keep it flowing (into the void) rather than destroy it: grpc-js holds back the end of a call
    // whose messages are unread, and the client's dispose() waits for that end.
    this.subscription.resume();
    await this.subscription.unsubscribe();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

/** A read without link resolution always carries the event itself. */
function recordOf(resolved: ResolvedEvent): EsdbRecordedEvent<EventType> {
  if (!resolved.event) throw new Error('EventStoreDB returned a read result without an event');
  return resolved.event;
}

/** System events: their type or their stream starts with '$' (e.g. $metadata in $$-streams, $> links in $ce-). */
function isSystem(record: EsdbRecordedEvent<EventType>): boolean {
  return record.type.startsWith('$') || record.streamId.startsWith('$');
}

function toRecorded(record: EsdbRecordedEvent<EventType>): RecordedEvent {
  if (!record.position) throw new Error(`event ${record.id} in ${record.streamId} has no position`);
  return {
    id: record.id,
    type: record.type,
    streamId: record.streamId,
    revision: record.revision,
    position: fromEsdbPosition(record.position),
    data: jsonObject(record, record.data, 'data'),
    metadata: record.metadata === undefined ? {} : jsonObject(record, record.metadata, 'metadata'),
    created: record.created,
  };
}

/** This service writes JSON objects only; anything else in a user stream is someone else's event, and an error. */
function jsonObject(record: EsdbRecordedEvent<EventType>, value: unknown, what: string): Record<string, unknown> {
  if (record.isJson && typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    return value as Record<string, unknown>;
  }
  throw new Error(`event ${record.id} (${record.type}) in ${record.streamId}: ${what} is not a JSON object`);
}

function fromEsdbPosition(position: EsdbPosition): Position {
  return { commit: position.commit, prepare: position.prepare };
}

function toEsdbExpected(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return expected;
  }
}

/**
 * Start-up check: read one event of $all. The client sets no deadline on reads (it overrides ours with Infinity),
 * so the wait is bounded here; a refused connection fails at once with UNAVAILABLE anyway.
 */
async function probe(client: EventStoreDBClient, timeoutMs: number): Promise<void> {
  const read = client.readAll({ fromPosition: ESDB_START, maxCount: 1 });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  const answered = new Promise<void>((resolve, reject) => {
    read
      .on('data', () => {})
      .on('end', resolve)
      .on('error', reject);
  });
  try {
    await Promise.race([answered, timeout]);
  } finally {
    clearTimeout(timer);
    await read.cancel(); // after a timeout; a no-op after an answer
  }
}

function startupError(url: string, err: unknown): Error {
  const reason = err instanceof Error ? err.message : String(err);
  // Reading $all needs admin rights by default: say so rather than blame the network.
  if (err instanceof Error && isCommandError(err) && err.type === ErrorType.ACCESS_DENIED) {
    return new Error(`EVENTSTORE_URL ${redact(url)} does not let this user read $all: ${reason}`, { cause: err });
  }
  return new Error(`EVENTSTORE_URL ${redact(url)} is unreachable: ${reason}`, { cause: err });
}

/** The client cancels its calls on dispose() but keeps its channel; close that too, or it lingers reconnecting. */
async function closeClient(client: EventStoreDBClient): Promise<void> {
  await client.dispose();
  const internal = client as unknown as { getChannel?: () => Promise<{ close(): void }> };
  const channel = await internal.getChannel?.().catch(() => undefined);
  channel?.close();
}

/** The 6.x client knows esdb:// only; KurrentDB's schemes name the same protocol. */
function clientConnectionString(url: string): string {
  return url.replace(/^kurrent(?:db)?(\+discover)?:\/\//, 'esdb$1://');
}

/** Never print a password from the URL in a start-up error. */
function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}
