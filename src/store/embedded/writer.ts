// Group commit: appends that arrive while a write is in flight are written together, in one write and one
// fdatasync, and each is acknowledged (its promise resolves) only after that fdatasync. Writes never overlap, so
// only the last one can be torn by a crash.
//
// Expected revisions are checked when append() is called, against the log *including* appends not yet durable,
// so two appends to one stream in the same batch see each other, exactly as if they had been written one by one.
// The index (what readers see) only takes a record once it is durable. A refusal that depends on an append still
// in flight is reported after that append is durable, so no caller is told of a revision that may never exist.
import type { FileHandle } from 'node:fs/promises';
import { ConcurrencyError, type AppendResult, type EventToAppend, type ExpectedRevision } from '../port.js';
import { encodeEvents, encodeRecord } from './format.js';
import { MAX_POSITION, type LogIndex } from './log-index.js';
import { hashBytes, MAX_STREAM_ID_BYTES } from './streams.js';

/** Bigger batches do not make the fdatasync cheaper, and memory stays bounded. */
const MAX_WRITE_BYTES = 8 * 1024 * 1024;

interface Queued {
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: unknown) => void;
  /** A refusal that waits for the append it depends on. */
  readonly refusal?: Error;
  readonly record?: Buffer;
  readonly streamId?: string;
  readonly id?: Buffer;
  readonly hash?: number;
  readonly position?: number;
  readonly revision?: number;
  readonly count?: number;
}

export interface WriterStats {
  /** write + fdatasync rounds. */
  writes: number;
  /** Appends acknowledged. */
  appends: number;
}

export class GroupCommitWriter {
  readonly stats: WriterStats = { writes: 0, appends: 0 };
  private queue: Queued[] = [];
  private running: Promise<void> | undefined;
  /** After a failed write or fdatasync the file's tail is unknown, so no later append may be acknowledged. */
  private broken: Error | undefined;
  /** The next position to hand out, counting appends not yet durable. */
  private nextPosition: number;
  /** Streams with appends not yet durable: their event count including those, and how many are in flight. */
  private readonly tentative = new Map<string, { events: number; inFlight: number }>();

  constructor(
    private readonly file: FileHandle,
    private readonly index: LogIndex,
    /** Called after each durable batch has entered the index, with the records it added, in order from `first`. */
    private readonly committed: (first: number, records: readonly Buffer[]) => void,
  ) {
    this.nextPosition = index.events + 1;
  }

  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.broken) return Promise.reject(new Error('embedded event store failed an earlier write; reopen it', { cause: this.broken }));
    if (events.length === 0) return Promise.reject(new RangeError('append needs at least one event'));
    const id = Buffer.from(streamId, 'utf8');
    if (id.length > MAX_STREAM_ID_BYTES) return Promise.reject(new RangeError(`a stream id is limited to ${MAX_STREAM_ID_BYTES} bytes`));
    if (this.nextPosition + events.length - 1 > MAX_POSITION)
      return Promise.reject(new RangeError('the log is full: the index holds 2^32 events'));
    const hash = hashBytes(id);
    const pending = this.tentative.get(streamId);
    const s = pending ? -1 : this.index.streams.find(id, hash);
    const current = pending ? pending.events : s < 0 ? 0 : this.index.streams.eventCount.get(s);
    const actual = current === 0 ? 'no_stream' : BigInt(current - 1);
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && actual === 'no_stream') ||
      (expected === 'stream_exists' && actual !== 'no_stream') ||
      (typeof expected === 'bigint' && actual === expected);
    return new Promise<AppendResult>((resolve, reject) => {
      if (!ok) {
        const refusal = new ConcurrencyError(streamId, expected, actual);
        if (!pending) return reject(refusal);
        this.enqueue({ resolve, reject, refusal });
        return;
      }
      const position = this.nextPosition;
      let record: Buffer;
      try {
        // Serialized now: what is written is the events as they were when append was called.
        record = encodeRecord(
          { position, revision: current, created: Date.now(), streamId: id, count: events.length },
          encodeEvents(events),
        );
      } catch (err) {
        return reject(err);
      }
      this.nextPosition += events.length;
      this.tentative.set(streamId, { events: current + events.length, inFlight: (pending?.inFlight ?? 0) + 1 });
      this.enqueue({ resolve, reject, record, streamId, id, hash, position, revision: current, count: events.length });
    });
  }

  /** Resolves once every append made so far is settled. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private enqueue(item: Queued): void {
    this.queue.push(item);
    this.kick();
  }

  private kick(): void {
    if (this.running || this.queue.length === 0) return;
    // One turn of the event loop first, so appends made by the same I/O callbacks join the same write.
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.running = undefined;
        // Appends made by the continuations of the last batch found `running` still set.
        this.kick();
      });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      let bytes = 0;
      let take = 0;
      while (take < this.queue.length && (take === 0 || bytes + (this.queue[take]!.record?.length ?? 0) <= MAX_WRITE_BYTES)) {
        bytes += this.queue[take]!.record?.length ?? 0;
        take++;
      }
      const batch = this.queue.splice(0, take);
      const records = batch.flatMap((q) => (q.record ? [q.record] : []));
      try {
        if (this.broken) throw this.broken;
        if (records.length > 0) {
          const data = records.length === 1 ? records[0]! : Buffer.concat(records);
          await writeAll(this.file, data, this.index.end);
          await this.file.datasync();
          this.stats.writes++;
          this.index.checksums.absorb(data, this.index.end);
        }
      } catch (err) {
        this.fail(err as Error, batch);
        return;
      }
      const first = this.index.records;
      const durable: Buffer[] = [];
      for (const q of batch) if (this.settle(q)) durable.push(q.record!);
      this.committed(first, durable);
    }
  }

  /** Acknowledges (or refuses) one append of a durable batch; true when its record entered the index. */
  private settle(q: Queued): boolean {
    if (this.broken || !q.record) {
      q.reject(this.broken ?? q.refusal);
      return false;
    }
    const refused = this.index.add(
      this.index.end,
      { length: q.record.length, position: q.position!, revision: q.revision!, count: q.count!, streamId: q.id! },
      q.hash,
    );
    if (refused) {
      // Cannot happen unless the checks above are wrong; the record is durable, so nothing more may be appended.
      this.fail(new Error(`embedded event store: internal error, appended record refused by the index: ${refused}`), []);
      q.reject(this.broken);
      return false;
    }
    const t = this.tentative.get(q.streamId!)!;
    if (--t.inFlight === 0) this.tentative.delete(q.streamId!);
    this.stats.appends++;
    const last = BigInt(q.position! + q.count! - 1);
    q.resolve({ nextExpectedRevision: BigInt(q.revision! + q.count! - 1), position: { commit: last, prepare: last } });
    return true;
  }

  private fail(err: Error, batch: Queued[]): void {
    this.broken ??= err;
    for (const q of [...batch, ...this.queue.splice(0)]) q.reject(err);
    this.tentative.clear();
  }
}

async function writeAll(file: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    done += (await file.write(data, done, data.length - done, position + done)).bytesWritten;
  }
}
