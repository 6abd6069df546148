// Reading events from the log on demand: one record by number (through a bounded cache, for streams), or a span of
// consecutive records in one read (for $all and subscriptions, not cached: a replay would only flush the cache).
// The records this process just wrote are kept as written until first asked for: the subscriptions following the
// log (projections, relay) and the next read of the stream find them in memory, decoded once, not read back.
// Every record read is checked again (both checksums, and its position against the index): a warm open trusts the
// snapshot for the records before it, so this is where damage to them is found.
import type { FileHandle } from 'node:fs/promises';
import type { RecordedEvent } from '../port.js';
import { BoundedMap } from '../../bounded-map.js';
import { EmbeddedLogDamagedError } from './errors.js';
import type { Codec, DecodedRecord, ProblemKind } from './format.js';
import type { LogIndex } from './log-index.js';

/** What the readers need of the open log; fields change when a reader finds a log that did not exist at open. */
export interface LogAccess {
  readonly path: string;
  readonly codec: Codec;
  readonly index: LogIndex;
  /** Positional read of the log, counted so close() can wait for it. */
  read(into: Buffer, at: number, length: number, position: number): Promise<number>;
  readonly file: FileHandle | undefined;
}

/** Small enough that a span's events die young (a bigger one makes the replay spend its time in the old-space GC). */
const SPAN_BYTES = 128 * 1024;

/** Records just written kept in memory: enough for the followers to take them from there under a burst of appends. */
const FRESH_RECORDS = 1024;

export class RecordReader {
  private readonly cache: BoundedMap<number, readonly RecordedEvent[]>;
  /** Records just made durable by this process, by number, as written (not decoded until asked for). */
  private readonly fresh = new BoundedMap<number, Buffer>(FRESH_RECORDS);

  constructor(
    private readonly log: LogAccess,
    private readonly capacity: number,
  ) {
    this.cache = new BoundedMap(capacity);
  }

  /** Record `r`, durable and in the index, with the bytes that were written for it. */
  written(r: number, bytes: Buffer): void {
    this.fresh.set(r, bytes);
  }

  /** The events of record `r`. */
  async record(r: number): Promise<readonly RecordedEvent[]> {
    const held = this.inMemory(r);
    if (held) return held;
    const { index } = this.log;
    const offset = index.offset.get(r);
    const length = index.recordEnd(r) - offset;
    const buf = Buffer.allocUnsafe(length);
    if ((await this.log.read(buf, 0, length, offset)) !== length) throw this.damaged(offset, 'the file ends inside the record');
    return this.remember(r, this.decode(buf, 0, length, r));
  }

  /** Record `r` from the cache or from what was just written, if it is there. */
  private inMemory(r: number): readonly RecordedEvent[] | undefined {
    const hit = this.cache.get(r);
    if (hit) {
      // Map order is insertion order: re-inserting makes it the most recently used.
      this.cache.delete(r);
      this.cache.set(r, hit);
      return hit;
    }
    const bytes = this.fresh.get(r);
    if (!bytes) return undefined;
    this.fresh.delete(r);
    return this.remember(r, this.decode(bytes, 0, bytes.length, r));
  }

  private remember(r: number, events: readonly RecordedEvent[]): readonly RecordedEvent[] {
    if (this.capacity > 0) this.cache.set(r, events);
    return events;
  }

  /** Records from `first`, before `limit`, up to about a MiB of them (at least one), in one read. */
  async span(first: number, limit: number): Promise<{ events: RecordedEvent[]; next: number }> {
    // Following the end of the log, the records are the ones just written: taken from memory while they last.
    const held: RecordedEvent[] = [];
    let r = first;
    while (r < limit) {
      const events = this.inMemory(r);
      if (!events) break;
      held.push(...events);
      r++;
    }
    if (r > first) return { events: held, next: r };
    const { index } = this.log;
    const start = index.offset.get(first);
    let next = first + 1;
    while (next < limit && index.recordEnd(next) - start <= SPAN_BYTES) next++;
    const length = index.recordEnd(next - 1) - start;
    const buf = Buffer.allocUnsafe(length);
    if ((await this.log.read(buf, 0, length, start)) !== length) throw this.damaged(start, 'the file ends inside these records');
    const events: RecordedEvent[] = [];
    for (let r = first; r < next; r++) {
      const at = index.offset.get(r) - start;
      for (const e of this.decode(buf, at, index.recordEnd(r) - start - at, r)) events.push(e);
    }
    return { events, next };
  }

  private decode(buf: Buffer, at: number, length: number, r: number): readonly RecordedEvent[] {
    const { codec, index } = this.log;
    const offset = index.offset.get(r);
    const probe = codec.probe(buf, at, length, length);
    if (probe.kind === 'problem') throw this.damaged(offset, probe.detail, probe.problem);
    if (probe.kind !== 'record') throw this.damaged(offset, 'the record is cut short');
    if (probe.length !== length || probe.position !== index.firstPosition.get(r)) {
      throw this.damaged(offset, 'the record is not the one the index holds here', 'out-of-order');
    }
    let decoded: DecodedRecord;
    try {
      decoded = codec.decode(buf, at, length);
    } catch (err) {
      throw this.damaged(offset, `the record does not decode (${(err as Error).message})`, 'bad-body');
    }
    return toRecordedEvents(decoded);
  }

  private damaged(offset: number, detail: string, kind: ProblemKind = 'incomplete-record'): Error {
    return new EmbeddedLogDamagedError(this.log.path, { offset, kind, detail, torn: false }, 'reading');
  }
}

/**
 * Events handed out are shared (cache, several readers), so they are frozen, as they were when all were in memory.
 * A reader that hands each event to one consumer only (a replay's share) may leave them as they are (`frozen`: false).
 */
export function toRecordedEvents(d: DecodedRecord, { frozen = true }: { readonly frozen?: boolean } = {}): readonly RecordedEvent[] {
  const freeze = frozen ? Object.freeze : <T>(value: T) => value;
  const out: RecordedEvent[] = new Array(d.events.length);
  for (let i = 0; i < d.events.length; i++) {
    const e = d.events[i]!;
    const n = BigInt(d.position + i);
    out[i] = freeze({
      id: e.i,
      type: e.y,
      streamId: d.streamId,
      revision: BigInt(d.revision + i),
      position: freeze({ commit: n, prepare: n }),
      data: frozen ? deepFreeze(e.d) : e.d,
      metadata: frozen ? deepFreeze(e.m ?? {}) : (e.m ?? {}),
      created: new Date(d.created),
    });
  }
  return freeze(out);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    if (Array.isArray(value)) for (const v of value) deepFreeze(v);
    else for (const k in value) deepFreeze((value as Record<string, unknown>)[k]);
  }
  return value;
}
