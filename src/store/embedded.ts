// Embedded event store: one append-only file, everything also held in memory for reads.
//
// File format (dir/events.log): a sequence of records, one per append batch, so a batch is all-or-nothing:
//   [payload length: u32 BE][CRC32 of payload: u32 BE][payload: UTF-8 JSON of StoredBatch]
// Position: the 1-based global event number in $all, with commit = prepare = n. START (0) therefore precedes
// every event, so subscribeToAll(START) (exclusive) still yields the first one, as on EventStoreDB.
// Positions and revisions are written into each record as decimal strings and checked on load.
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { link, mkdir, open, readFile, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import {
  comparePositions,
  ConcurrencyError,
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

export interface EmbeddedOptions {
  /** Where recovery warnings go (a dropped torn record, a stale lock). Default console.warn. */
  readonly warn?: (message: string) => void;
}

interface StoredBatch {
  /** stream id */
  s: string;
  /** revision of the first event */
  r: string;
  /** position of the first event */
  p: string;
  /** created, ISO 8601 */
  t: string;
  e: { id: string; type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }[];
}

const HEADER_BYTES = 8;

export async function openEmbeddedEventStore(dir: string, options: EmbeddedOptions = {}): Promise<EventStore> {
  const warn = options.warn ?? ((m: string) => console.warn(m));
  await mkdir(dir, { recursive: true });
  const lock = await acquireLock(join(dir, 'events.lock'), warn);
  let handle: FileHandle | undefined;
  try {
    const logPath = join(dir, 'events.log');
    const existing = await readFile(logPath).catch(emptyIfMissing);
    const { batches, validBytes, torn } = decodeLog(existing ?? Buffer.alloc(0), logPath);
    handle = await open(logPath, 'a');
    if (!existing) await syncDir(dir);
    if (torn) {
      warn(`embedded event store: ${logPath}: dropping a torn last record at byte ${validBytes} (${torn}); ` +
        'it was never acknowledged');
      await handle.truncate(validBytes);
      await handle.datasync();
    }
    const store = new EmbeddedEventStore(handle, lock);
    for (const batch of batches) store.ingest(batch, logPath);
    return store;
  } catch (err) {
    await handle?.close();
    await lock.release();
    throw err;
  }
}

class EmbeddedEventStore implements EventStore {
  private readonly all: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly subscriptions = new Set<Subscription>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** After a failed write or fsync the file's tail is unknown, so no later append may be acknowledged. */
  private broken: Error | undefined;

  constructor(
    private readonly handle: FileHandle,
    private readonly lock: Lock,
  ) {}

  append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    // Checked at call time so close() still lets appends already queued finish.
    if (this.closed) return Promise.reject(new Error('embedded event store is closed'));
    const run = this.queue.then(() => this.appendNow(streamId, events, expected));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.broken) throw new Error('embedded event store failed an earlier write; reopen it', { cause: this.broken });
    if (events.length === 0) throw new RangeError('append needs at least one event');
    const stream = this.streams.get(streamId);
    const actual = stream ? BigInt(stream.length - 1) : 'no_stream';
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && actual === 'no_stream') ||
      (expected === 'stream_exists' && actual !== 'no_stream') ||
      (typeof expected === 'bigint' && actual === expected);
    if (!ok) throw new ConcurrencyError(streamId, expected, actual);

    const batch: StoredBatch = {
      s: streamId,
      r: String(stream?.length ?? 0),
      p: String(this.all.length + 1),
      t: new Date().toISOString(),
      e: events.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata ?? {} })),
    };
    const payload = JSON.stringify(batch);
    let last: RecordedEvent;
    try {
      await writeFully(this.handle, encodeRecord(Buffer.from(payload, 'utf8')));
      await this.handle.datasync();
      // Re-parsed so what readers see now is exactly what they will see after a restart.
      last = this.ingest(JSON.parse(payload) as StoredBatch);
    } catch (err) {
      this.broken = err as Error;
      throw err;
    }
    for (const sub of this.subscriptions) sub.wake();
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  /** Adds one decoded batch to the in-memory indexes; returns its last event. */
  ingest(batch: StoredBatch, source = 'append'): RecordedEvent {
    const stream = this.streams.get(batch.s) ?? [];
    if (batch.r !== String(stream.length) || batch.p !== String(this.all.length + 1) || batch.e.length === 0) {
      throw new Error(`embedded event store: ${source}: inconsistent record for stream ${batch.s} at position ${batch.p}`);
    }
    const created = new Date(batch.t);
    let last: RecordedEvent | undefined;
    for (const e of batch.e) {
      const n = BigInt(this.all.length + 1);
      last = deepFreeze({
        id: e.id,
        type: e.type,
        streamId: batch.s,
        revision: BigInt(stream.length),
        position: { commit: n, prepare: n },
        data: e.data,
        metadata: e.metadata,
        created,
      });
      stream.push(last);
      this.all.push(last);
    }
    this.streams.set(batch.s, stream);
    return last!;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const stream = this.streams.get(streamId) ?? [];
    const max = options.maxCount ?? Infinity;
    if (options.direction === 'backwards') {
      const out: RecordedEvent[] = [];
      const from = options.fromRevision === undefined ? stream.length - 1 : Math.min(Number(options.fromRevision), stream.length - 1);
      for (let i = from; i >= 0 && out.length < max; i--) out.push(stream[i]!);
      return out;
    }
    const from = Math.max(0, Number(options.fromRevision ?? 0n));
    return stream.slice(from, from + max);
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<RecordedEvent> {
    const end = this.all.length;
    const max = options.maxCount ?? Infinity;
    let yielded = 0;
    for (let i = options.fromPosition ? this.firstIndexAtOrAfter(options.fromPosition) : 0; i < end && yielded < max; i++) {
      const e = this.all[i]!;
      if (isSystem(e)) continue;
      yielded++;
      yield e;
    }
  }

  subscribeToAll(from?: Position): AllSubscription {
    let start = 0;
    if (from) {
      start = this.firstIndexAtOrAfter(from);
      if (start < this.all.length && comparePositions(this.all[start]!.position, from) === 0) start++;
    }
    const sub = new Subscription(this.all, start, this.closed, () => this.subscriptions.delete(sub));
    if (!this.closed) this.subscriptions.add(sub);
    return sub;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    // Subscribers of a store closed by its owner are shutting down too, so they end rather than fail.
    for (const sub of [...this.subscriptions]) await sub.close();
    await this.handle.close();
    await this.lock.release();
  }

  private firstIndexAtOrAfter(position: Position): number {
    let lo = 0;
    let hi = this.all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePositions(this.all[mid]!.position, position) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Walks the store's own array by index, so catch-up and live are the same loop and nothing appended in between
 * can be missed: appends push and wake synchronously, and the cursor only sleeps when it has seen the end.
 */
class Subscription implements AllSubscription {
  private closed: boolean;
  private sleeping: (() => void) | undefined;
  private iterator: AsyncGenerator<RecordedEvent> | undefined;

  constructor(
    private readonly all: readonly RecordedEvent[],
    private cursor: number,
    closed: boolean,
    private readonly onClose: () => void,
  ) {
    this.closed = closed;
  }

  wake(): void {
    const resume = this.sleeping;
    this.sleeping = undefined;
    resume?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.onClose();
    this.wake();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    this.iterator ??= this.events();
    return this.iterator;
  }

  private async *events(): AsyncGenerator<RecordedEvent> {
    try {
      while (!this.closed) {
        if (this.cursor < this.all.length) {
          const e = this.all[this.cursor++]!;
          if (!isSystem(e)) yield e;
        } else {
          await new Promise<void>((resolve) => (this.sleeping = resolve));
        }
      }
    } finally {
      // A consumer that breaks out of for-await is done with the subscription too.
      await this.close();
    }
  }
}

function isSystem(e: RecordedEvent): boolean {
  return e.type.startsWith('$') || e.streamId.startsWith('$');
}

function encodeRecord(payload: Buffer): Buffer {
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32BE(payload.length, 0);
  record.writeUInt32BE(crc32(payload), 4);
  payload.copy(record, HEADER_BYTES);
  return record;
}

/**
 * Only the last write can be torn by a crash (appends are serialized), so a bad record that reaches the end of
 * the file is dropped; a bad record with data after it means the file was damaged some other way.
 */
function decodeLog(buf: Buffer, path: string): { batches: StoredBatch[]; validBytes: number; torn?: string } {
  const batches: StoredBatch[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const torn = (reason: string) => ({ batches, validBytes: offset, torn: reason });
    const corrupt = (reason: string) =>
      new Error(`embedded event store: ${path} is corrupt: ${reason} in the record at byte ${offset}; ` +
        'refusing to open. Restore the file from a backup.');
    if (buf.length - offset < HEADER_BYTES) return torn('incomplete record header');
    const length = buf.readUInt32BE(offset);
    if (length === 0) {
      // Some filesystems zero-fill the tail of a file whose size was updated but whose data never made it.
      if (buf.subarray(offset).every((b) => b === 0)) return torn('zero-filled tail');
      throw corrupt('empty record');
    }
    const end = offset + HEADER_BYTES + length;
    if (end > buf.length) return torn('record runs past the end of the file');
    const payload = buf.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== buf.readUInt32BE(offset + 4)) {
      if (end === buf.length) return torn('checksum mismatch');
      throw corrupt(`checksum mismatch, with ${buf.length - end} more bytes after it,`);
    }
    try {
      batches.push(JSON.parse(payload.toString('utf8')) as StoredBatch);
    } catch {
      throw corrupt('unparseable JSON');
    }
    offset = end;
  }
  return { batches, validBytes: offset };
}

async function writeFully(handle: FileHandle, buf: Buffer): Promise<void> {
  for (let done = 0; done < buf.length; ) {
    done += (await handle.write(buf, done, buf.length - done)).bytesWritten;
  }
}

interface Lock {
  release(): Promise<void>;
}

/** Lock files this process holds: a pid check cannot tell a second open in the same process from a stale lock. */
const heldLocks = new Set<string>();

/**
 * A lock file holding pid and host, created atomically with its content (written aside, then hard-linked into
 * place, which fails if it exists). A lock left by a crashed process on this host (dead pid, or our own pid reused
 * after a container restart) is taken over; anything else fails naming the holder. Two processes taking over the
 * same stale lock at the same instant could both succeed; that needs two servers started together after a crash.
 */
async function acquireLock(path: string, warn: (m: string) => void): Promise<Lock> {
  const key = resolve(path);
  if (heldLocks.has(key)) throw new Error(`embedded event store: ${path} is already open in this process`);
  heldLocks.add(key); // before any await, so a concurrent open in this process sees it
  const lock: Lock = {
    async release() {
      if (heldLocks.delete(key)) await unlink(path).catch(() => undefined);
    },
  };
  try {
    const me = { pid: process.pid, host: hostname() };
    const draft = `${path}.${process.pid}.${Date.now()}`;
    await writeFile(draft, JSON.stringify({ ...me, since: new Date().toISOString() }));
    try {
      for (let attempt = 0; ; attempt++) {
        const created = await link(draft, path).then(() => true, (err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') return false;
          throw err;
        });
        if (created) return lock;
        const holder: { pid?: number; host?: string } = await readFile(path, 'utf8').then((text) => JSON.parse(text), () => ({}));
        const stale = holder.host === me.host && typeof holder.pid === 'number' && (holder.pid === me.pid || !isAlive(holder.pid));
        if (!stale || attempt > 0) {
          throw new Error(`embedded event store: ${path} is locked by process ${String(holder.pid)} on host ` +
            `${String(holder.host)}; another authstream is using this directory. If that process is gone, delete the lock file.`);
        }
        warn(`embedded event store: taking over stale lock ${path} left by dead process ${holder.pid}`);
        await unlink(path).catch(() => undefined);
      }
    } finally {
      await unlink(draft).catch(() => undefined);
    }
  } catch (err) {
    heldLocks.delete(key);
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function emptyIfMissing(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT') return undefined;
  throw err;
}

/** A new file's directory entry is only durable once the directory itself is synced. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof Date) && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
