// The embedded event store: the log on disk, an index in memory (log-index.ts), events read from disk on demand
// (records.ts), appends by group commit (writer.ts). A read-only store (a CLI beside a running service) has no
// writer and no lock, never writes, and looks for the writer's new appends in the file when it reads.
import { open, type FileHandle } from 'node:fs/promises';
import {
  type AllSubscription,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type Position,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
} from '../port.js';
import { EmbeddedLogDamagedError } from './errors.js';
import { v2, type Codec } from './format.js';
import { v1 } from './format-v1.js';
import { identifyOpen, indexSink } from './load.js';
import { LogIndex } from './log-index.js';
import type { Lock } from './lock.js';
import { RecordReader, type LogAccess } from './records.js';
import { readFully, scanLog } from './scan.js';
import { captureSnapshot, persistSnapshot } from './snapshot.js';
import { isSystem, LogSubscription, type SubscriptionSource } from './subscription.js';
import { GroupCommitWriter, type WriterStats } from './writer.js';

export interface StoreSettings {
  readonly dir: string;
  readonly path: string;
  readonly warn: (message: string) => void;
  readonly cacheRecords: number;
  readonly snapshotBytes: number;
  readonly pollMs: number;
}

/** How the store was opened, for operators and tests. */
export interface OpenReport {
  readonly readOnly: boolean;
  readonly format: 1 | 2 | 'none';
  /** 'loaded', 'missing', or why the snapshot was not used. */
  readonly snapshot: string;
  readonly scannedBytes: number;
  /** Bytes of a torn last write cut off the file at open. */
  readonly droppedBytes: number;
  readonly milliseconds: number;
}

export class EmbeddedEventStore implements EventStore, LogAccess {
  private readonly writer: GroupCommitWriter | undefined;
  private readonly records: RecordReader;
  private readonly subscriptions = new Set<LogSubscription>();
  private readonly reads = new Set<Promise<unknown>>();
  private closed = false;
  /** Set once close() stops reads, just before the file is closed: reads until then still work. */
  private reading = true;
  private closing: Promise<void> | undefined;
  private snapshotting: Promise<void> | undefined;
  private refreshing: Promise<void> | undefined;
  /** File size at the last look for new appends (read-only). */
  private seenSize = -1;
  private warnedAt = -1;

  constructor(
    private readonly settings: StoreSettings,
    public file: FileHandle | undefined,
    public codec: Codec,
    public index: LogIndex,
    private readonly logId: Buffer | undefined,
    readonly opened: OpenReport,
    private readonly lock: Lock | undefined,
    /** Where the snapshot on disk ends (-1: none). */
    private snapshotEnd: number,
  ) {
    this.writer =
      opened.readOnly || !file ? undefined : new GroupCommitWriter(file, index, (first, records) => this.committed(first, records));
    this.records = new RecordReader(this, settings.cacheRecords);
  }

  get path(): string {
    return this.settings.path;
  }

  get readOnly(): boolean {
    return this.opened.readOnly;
  }

  /** The log's id (hex, from its file header): what a snapshot of a projection of it records. Undefined: none yet. */
  get logIdentity(): string | undefined {
    return this.logId?.toString('hex');
  }

  /** Write rounds and appends so far (a round is one write and one fdatasync). */
  get stats(): Readonly<WriterStats> & { indexBytes: number } {
    return { ...(this.writer?.stats ?? { writes: 0, appends: 0 }), indexBytes: this.index.byteSize };
  }

  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    // Checked at call time so close() still lets appends already queued finish.
    if (this.closed) return Promise.reject(new Error('embedded event store is closed'));
    if (!this.writer) return Promise.reject(new Error(`embedded event store: ${this.path} is open read-only`));
    return this.writer.append(streamId, events, expected);
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    await this.beforeRead();
    const { streams } = this.index;
    const s = streams.find(Buffer.from(streamId, 'utf8'));
    if (s < 0) return [];
    const count = streams.eventCount.get(s);
    const max = options.maxCount ?? Infinity;
    if (options.direction === 'backwards') {
      const from = options.fromRevision === undefined ? count - 1 : Math.min(Number(options.fromRevision), count - 1);
      if (from < 0 || max <= 0) return [];
      return (await this.streamEvents(s, Math.max(0, from - max + 1), from + 1)).reverse();
    }
    const from = Math.max(0, Number(options.fromRevision ?? 0n));
    const to = Math.min(count, from + max);
    return from < to ? this.streamEvents(s, from, to) : [];
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    await this.beforeRead();
    // What the log holds now; appends made while this iterates are for subscriptions.
    const lastRecord = this.index.records;
    const from = options.fromPosition ? firstAtOrAfter(options.fromPosition) : 1;
    const max = options.maxCount ?? Infinity;
    if (from > this.index.events || max <= 0) return;
    let yielded = 0;
    const start = BigInt(from); // compared with every event's position: bigint with bigint
    let pending: Promise<{ events: RecordedEvent[]; next: number }> | undefined = this.records.span(this.index.recordOf(from), lastRecord);
    try {
      while (pending) {
        const { events, next }: { events: RecordedEvent[]; next: number } = await pending;
        // Read the next span while this one is handed out.
        pending = next < lastRecord ? this.records.span(next, lastRecord) : undefined;
        for (const e of events) {
          if (e.position.commit < start || isSystem(e)) continue;
          yield e;
          if (++yielded >= max) return;
        }
      }
    } finally {
      pending?.catch(() => undefined);
    }
  }

  subscribeToAll(from?: Position): AllSubscription {
    // Event n sits at (n, n): the first strictly after (c, p) is c when p < c, else c + 1.
    const next = from ? Math.max(1, toNumber(from.prepare < from.commit ? from.commit : from.commit + 1n)) : 1;
    const source: SubscriptionSource = {
      events: () => this.index.events,
      read: async (position) => {
        const { events } = await this.records.span(this.index.recordOf(position), this.index.records);
        const skip = events.findIndex((e) => e.position.commit >= position);
        return skip <= 0 ? events : events.slice(skip);
      },
      ...(this.readOnly ? { refresh: () => this.refresh() } : {}),
      pollMs: this.settings.pollMs,
    };
    const sub = new LogSubscription(source, next, this.closed, () => this.subscriptions.delete(sub));
    if (!this.closed) this.subscriptions.add(sub);
    return sub;
  }

  close(): Promise<void> {
    this.closed = true;
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Writes the index snapshot now (normally done every `snapshotBytes` of log and at close). */
  async snapshot(): Promise<void> {
    while (this.snapshotting) await this.snapshotting;
    if (!this.writer || !this.logId || this.index.end === this.snapshotEnd) return;
    const captured = captureSnapshot(this.index, this.logId);
    const writing = persistSnapshot(this.settings.dir, captured).then(() => {
      this.snapshotEnd = captured.ackedEnd;
    });
    // What others wait on never rejects: the failure is this call's to report.
    this.snapshotting = writing
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.snapshotting = undefined;
      });
    await writing;
  }

  /** Looks for appends made to the file by its writer (read-only stores; reads and subscriptions call it). */
  refresh(): Promise<void> {
    if (!this.readOnly) return Promise.resolve();
    this.refreshing ??= this.scanNewAppends().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /** LogAccess: a positional read of the log that close() waits for. */
  read(into: Buffer, at: number, length: number, position: number): Promise<number> {
    if (!this.reading) return Promise.reject(new Error('embedded event store is closed'));
    if (!this.file) return Promise.resolve(0);
    const reading = readFully(this.file, into, at, length, position);
    this.reads.add(reading);
    const done = () => this.reads.delete(reading);
    reading.then(done, done);
    return reading;
  }

  private async streamEvents(s: number, from: number, to: number): Promise<RecordedEvent[]> {
    const wanted = this.index.streamRecords(s, from, to);
    const lists = await Promise.all(wanted.map((w) => this.records.record(w.record)));
    const out: RecordedEvent[] = [];
    lists.forEach((events, i) => {
      const first = wanted[i]!.revision;
      for (let j = Math.max(0, from - first); j < events.length && first + j < to; j++) out.push(events[j]!);
    });
    return out;
  }

  private async beforeRead(): Promise<void> {
    this.assertOpen();
    if (this.readOnly) await this.refresh();
  }

  private assertOpen(): void {
    if (!this.reading) throw new Error('embedded event store is closed');
  }

  private committed(first: number, records: readonly Buffer[]): void {
    records.forEach((bytes, i) => this.records.written(first + i, bytes));
    for (const sub of this.subscriptions) sub.wake();
    const due = Math.max(this.settings.snapshotBytes, this.index.byteSize);
    if (!this.snapshotting && !this.closed && this.index.end - Math.max(0, this.snapshotEnd) >= due) {
      this.snapshot().catch((err: unknown) =>
        this.settings.warn(`embedded event store: could not write the index snapshot: ${String(err)}`),
      );
    }
  }

  private async scanNewAppends(): Promise<void> {
    if (!this.file && !(await this.openLateLog())) return;
    const size = (await this.file!.stat()).size;
    if (size < this.index.end) {
      throw new Error(
        `embedded event store: ${this.path} is now shorter (${size} bytes) than what was read of it ` +
          `(${this.index.end}); it was cut by a repair or replaced: reopen the store`,
      );
    }
    if (size === this.seenSize) return;
    const { problem } = await scanLog(this.file!, this.codec, this.index.end, size, indexSink(this.index), {
      checksums: this.index.checksums,
    });
    // Damage before the end is damage; at the end it may be the write in progress: stop before it, look again later.
    if (problem?.validRecordAt !== undefined) throw new EmbeddedLogDamagedError(this.path, problem, 'reading');
    // Only now: damage found is reported again at every read, not only at the first.
    this.seenSize = size;
    if (!problem) return;
    if (!problem.torn && this.warnedAt !== problem.offset) {
      this.warnedAt = problem.offset;
      this.settings.warn(`embedded event store: reading ${this.path} up to byte ${problem.offset} only: ${problem.detail}`);
    }
  }

  /** A read-only store opened before its log existed: the log may exist now. */
  private async openLateLog(): Promise<boolean> {
    let file: FileHandle;
    try {
      file = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    const format = await identifyOpen(file);
    if (format.format === 'empty' || this.closed) {
      await file.close();
      return false;
    }
    if (format.format === 'damaged') {
      await file.close();
      throw new EmbeddedLogDamagedError(this.path, { offset: 0, kind: 'bad-header', detail: format.detail, torn: false }, 'reading');
    }
    this.codec = format.format === 'v1' ? v1 : v2;
    this.index = new LogIndex(this.codec.dataStart);
    this.file = file;
    return true;
  }

  private async shutdown(): Promise<void> {
    await this.writer?.idle();
    if (this.writer) {
      await this.snapshot().catch((err: unknown) =>
        this.settings.warn(`embedded event store: could not write the index snapshot: ${String(err)}`),
      );
    }
    // Subscribers of a store closed by its owner are shutting down too, so they end rather than fail.
    for (const sub of [...this.subscriptions]) await sub.close();
    await this.refreshing?.catch(() => undefined);
    this.reading = false;
    await Promise.allSettled([...this.reads]);
    await this.file?.close();
    await this.lock?.release();
  }
}

/** The first event at or after `p` (event n sits at (n, n)). */
function firstAtOrAfter(p: Position): number {
  return Math.max(1, toNumber(p.prepare <= p.commit ? p.commit : p.commit + 1n));
}

function toNumber(n: bigint): number {
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}
