// The event-store port. Every adapter (embedded file log, EventStoreDB) implements it and passes
// test/contract/event-store.contract.ts. Semantics follow EventStoreDB's gRPC API.

/** Global position in the log ($all). Ordered by commit, then prepare (EventStoreDB's order). */
export interface Position {
  readonly commit: bigint;
  readonly prepare: bigint;
}

export const START: Position = { commit: 0n, prepare: 0n };

export function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/**
 * What an append expects of the stream:
 * - 'no_stream': the stream must not exist;
 * - 'stream_exists': it must exist (hold at least one event);
 * - 'any': no check;
 * - a bigint: the revision of the stream's last event (0n after one event).
 */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface EventToAppend {
  /** UUID; EventStoreDB uses it for idempotent appends. */
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
}

export interface RecordedEvent {
  readonly id: string;
  readonly type: string;
  readonly streamId: string;
  /** Revision of this event in its stream, from 0n. */
  readonly revision: bigint;
  readonly position: Position;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
  readonly created: Date;
}

export interface AppendResult {
  /** Revision of the last event appended. */
  readonly nextExpectedRevision: bigint;
  /** Position of the last event appended: once a reader has seen this position, it has seen the whole append. */
  readonly position: Position;
}

/** The append's expectation did not hold. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual last revision, or 'no_stream'. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(`wrong expected revision on ${streamId}: expected ${String(expected)}, actual ${String(actual)}`);
    this.name = 'ConcurrencyError';
  }
}

export interface ReadStreamOptions {
  readonly direction?: 'forwards' | 'backwards';
  /** Inclusive. Default: the start when forwards, the end when backwards. */
  readonly fromRevision?: bigint;
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Inclusive. Default START. */
  readonly fromPosition?: Position;
  readonly maxCount?: number;
}

/**
 * A live subscription to $all: yields every event after `from` (exclusive), catch-up first, then live, in log order.
 * Iteration throws if the subscription drops; the caller resubscribes from the last position it handled.
 */
export interface AllSubscription extends AsyncIterable<RecordedEvent> {
  close(): Promise<void>;
}

export interface EventStore {
  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult>;
  /** A missing stream reads as []. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Events of $all in log order, without system events (types or streams starting with '$'). */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  /** `from` is exclusive; undefined = from the very start (every event). System events are never yielded. */
  subscribeToAll(from?: Position): AllSubscription;
  close(): Promise<void>;
  /**
   * Optional: a cheap check that the store answers (health checks); rejects when it does not within `timeoutMs`.
   * Without it, /health/ready reads one event of $all.
   */
  probe?(timeoutMs: number): Promise<void>;
}
