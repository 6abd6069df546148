// One share of the log's streams, read straight from the file: what a replay on several threads gives each thread
// (src/projections/partitioned-replay.ts). Every record in [dataStart, end) is checked (both checksums, and that its
// position follows the last one), but only the records of this share's streams are decoded: a stream belongs to
// share hash(stream id) mod shares, so each account's events reach exactly one thread, in their order. Needs no
// index: a worker thread reads the file on its own, sequentially, beside the open store.
import { open, type FileHandle } from 'node:fs/promises';
import type { RecordedEvent } from '../port.js';
import { EmbeddedLogDamagedError } from './errors.js';
import type { Codec, ProblemKind } from './format.js';
import { toRecordedEvents } from './records.js';
import { readFully } from './scan.js';
import { isSystem } from './subscription.js';

/**
 * Read a little at a time: decoding a block just read finds its bytes still in the CPU's cache (with the scan's 4 MiB
 * windows, decoding and checksums took half as long again).
 */
const WINDOW_BYTES = 128 * 1024;

/** A log as its readers need it: the file, its format, and where its acknowledged records end. */
export interface LogExtent {
  readonly path: string;
  readonly codec: Codec;
  readonly end: number;
}

export interface Share {
  readonly shares: number;
  readonly share: number;
  /** The streams wanted (by the id's bytes): the records of others are checked, not decoded. Default: all. */
  readonly streams?: (streamId: Uint8Array) => boolean;
}

/** FNV-1a of the stream id's bytes, mod shares: cheap, and the same on every thread. */
export function shareOf(streamId: Uint8Array, shares: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) h = Math.imul(h ^ streamId[i]!, 0x01000193);
  return (h >>> 0) % shares;
}

/**
 * The events of this share's streams, in log order, a record's at a time (a promise per record, not per event),
 * system events left out (as readAll leaves them out). Throws EmbeddedLogDamagedError at a record that is not sound,
 * wherever its stream belongs.
 */
export async function* shareRecords(log: LogExtent, { shares, share, streams }: Share): AsyncIterable<readonly RecordedEvent[]> {
  const file = await open(log.path, 'r');
  const ahead = new ReadAhead(file, log.codec.dataStart, log.end);
  try {
    let expected = 1;
    for (let off = log.codec.dataStart; off < log.end;) {
      const p = log.codec.probe(ahead.buf, off - ahead.start, ahead.start + ahead.buf.length - off, log.end - off);
      if (p.kind === 'more') {
        if (!(await ahead.more(off))) throw damaged(log.path, off, 'incomplete-record', 'the file ends before the records it held');
        continue;
      }
      if (p.kind === 'problem') throw damaged(log.path, off, p.problem, p.detail);
      if (p.position !== expected) {
        throw damaged(log.path, off, 'out-of-order', `the record holds position ${p.position} where ${expected} comes next`);
      }
      expected += p.count;
      if (shareOf(p.streamId, shares) === share && (streams === undefined || streams(p.streamId))) {
        const events = decode(log, ahead.buf, off - ahead.start, p.length, off);
        // Decoded events are copies: the blocks can move on while they are handled.
        yield events.some(isSystem) ? events.filter((e) => !isSystem(e)) : events;
      }
      off += p.length;
    }
  } finally {
    await ahead.done();
    await file.close();
  }
}

/**
 * The file's bytes from `from` to `end` a block at a time, the next block read while this one is decoded (reading
 * only when a block ran out left the thread idle a tenth of a replay). `buf` holds the file from `start` on.
 */
class ReadAhead {
  buf: Buffer = Buffer.alloc(0);
  start: number;
  private next: Promise<Buffer>;

  constructor(
    private readonly file: FileHandle,
    from: number,
    private readonly end: number,
  ) {
    this.start = from;
    this.next = this.read(from);
  }

  private read(at: number): Promise<Buffer> {
    const length = Math.min(WINDOW_BYTES, this.end - at);
    if (length <= 0) return Promise.resolve(Buffer.alloc(0));
    const block = Buffer.allocUnsafe(length);
    return readFully(this.file, block, 0, length, at).then((got) => block.subarray(0, got));
  }

  /** Adds the next block to what is held from `off` on; false when the file has no more before `end`. */
  async more(off: number): Promise<boolean> {
    const block = await this.next;
    if (block.length === 0) return false;
    const readTo = this.start + this.buf.length + block.length;
    const rest = this.buf.subarray(off - this.start);
    this.buf = rest.length === 0 ? block : Buffer.concat([rest, block]);
    this.start = off;
    this.next = this.read(readTo);
    return true;
  }

  /** Waits for a read still under way (so the file can be closed), whatever became of it. */
  async done(): Promise<void> {
    await this.next.catch(() => undefined);
  }
}

function decode(log: LogExtent, buf: Buffer, at: number, length: number, offset: number): readonly RecordedEvent[] {
  try {
    // Each event goes to one consumer, which keeps none of them: not frozen (~4% of a replay).
    return toRecordedEvents(log.codec.decode(buf, at, length), { frozen: false });
  } catch (error) {
    throw damaged(log.path, offset, 'bad-body', `the record does not decode (${(error as Error).message})`);
  }
}

function damaged(path: string, offset: number, kind: ProblemKind, detail: string): EmbeddedLogDamagedError {
  return new EmbeddedLogDamagedError(path, { offset, kind, detail, torn: false }, 'reading');
}
