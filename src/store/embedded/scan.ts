// Reads a log from an offset to its end in large sequential blocks, handing each sound record to a sink, and tells
// a torn last write (to drop) from damage (to stop for) at the first record that is not sound:
// - a torn write is an incomplete last record: the file ends inside it, or is zeros from inside it to the end (a
//   filesystem that grew the file before the data landed), with no sound record anywhere after it, and past the end
//   the index snapshot recorded as durable. Appends are acknowledged only after fdatasync, so it was never acknowledged.
// - anything else (a sound record after it, a whole record whose checksum fails, bytes that are no record at all,
//   a record out of order) is damage: nothing may be dropped without an operator saying so.
import type { FileHandle } from 'node:fs/promises';
import type { SegmentChecksums } from './checksums.js';
import type { Codec, ProbedRecord, Probe, ProblemKind } from './format.js';

const BLOCK = 4 * 1024 * 1024;

export interface Problem {
  /** Where the first record that is not sound starts: everything before it is sound. */
  readonly offset: number;
  readonly kind: ProblemKind;
  readonly detail: string;
  /** An incomplete last write, dropped at open. */
  readonly torn: boolean;
  /** The first sound record after the problem, when there is one (what makes it damage rather than a torn tail). */
  readonly validRecordAt?: number;
}

export interface ScanResult {
  /** Just past the last sound record reached. */
  readonly end: number;
  readonly problem?: Problem;
}

type Refusal = { kind: ProblemKind; detail: string } | undefined;

/**
 * Accepts a sound record at file offset `at` (its bytes at `buf[bufAt]`, valid until the sink returns or its promise
 * settles), or says why it does not belong. A promise (rarely: a migration flushing its output) is waited for.
 */
export type Sink = (at: number, record: ProbedRecord, buf: Buffer, bufAt: number) => Refusal | Promise<Refusal>;

/** A sliding buffer over the file. */
export class FileWindow {
  buf = Buffer.allocUnsafe(BLOCK);
  /** File offset of buf[0]. */
  start = 0;
  /** Bytes of buf that hold file data. */
  length = 0;

  /** Called before the window moves on, while it still holds what it held. */
  beforeMove: (() => void) | undefined;

  constructor(
    private readonly file: FileHandle,
    public size: number,
  ) {}

  /** Bytes held from `off` on. */
  avail(off: number): number {
    return off >= this.start && off <= this.start + this.length ? this.start + this.length - off : 0;
  }

  /** Loads at least `need` bytes from `off` (fewer only if the file is shorter); returns off's index in buf. */
  async load(off: number, need: number): Promise<number> {
    if (this.avail(off) >= need) return off - this.start;
    this.beforeMove?.();
    const keep = this.avail(off);
    if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(need);
      this.buf.copy(bigger, 0, off - this.start, off - this.start + keep);
      this.buf = bigger;
    } else if (keep > 0) {
      this.buf.copyWithin(0, off - this.start, off - this.start + keep);
    }
    this.start = off;
    this.length = keep;
    const want = Math.min(this.buf.length - keep, this.size - off - keep);
    const got = want > 0 ? await readFully(this.file, this.buf, keep, want, off + keep) : 0;
    this.length += got;
    // The file is shorter than it was: only a reader can see that (a repair cut it); what is gone is gone.
    if (got < want) this.size = off + this.length;
    return 0;
  }

  /** Probes the record at `off`, loading as much as the codec needs. */
  async probe(codec: Codec, off: number): Promise<Probe> {
    let need = Math.min(64 * 1024, this.size - off);
    for (;;) {
      const at = await this.load(off, need);
      const p = codec.probe(this.buf, at, this.avail(off), this.size - off);
      if (p.kind !== 'more') return p;
      if (p.need <= this.avail(off)) throw new Error('embedded event store: codec asked for bytes it already has');
      need = p.need;
    }
  }
}

export async function readFully(file: FileHandle, buf: Uint8Array, at: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buf, at + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

export interface ScanOptions {
  /** The end of the log the index snapshot recorded as durable: nothing before it can be a torn write. */
  readonly ackedEnd?: number;
  /** Fed with the bytes of every sound record (it must reach `from`). */
  readonly checksums?: SegmentChecksums;
}

/** Scans [from, size) record by record. */
export async function scanLog(
  file: FileHandle,
  codec: Codec,
  from: number,
  size: number,
  sink: Sink,
  options: ScanOptions = {},
): Promise<ScanResult> {
  const { ackedEnd = 0, checksums } = options;
  const w = new FileWindow(file, size);
  let off = from;
  // Sound bytes are checksummed a window at a time, just before the window moves past them: few CRC calls.
  const absorb = () => {
    if (checksums && off > checksums.end) checksums.absorb(w.buf.subarray(checksums.end - w.start, off - w.start), checksums.end);
  };
  w.beforeMove = absorb;
  const done = async (problem?: Problem | Extract<Probe, { kind: 'problem' }>): Promise<ScanResult> => {
    absorb();
    w.beforeMove = undefined;
    if (problem && 'offset' in problem) return { end: off, problem };
    if (problem) return { end: off, problem: await classify(w, codec, off, problem, ackedEnd) };
    return { end: off };
  };
  while (off < w.size) {
    // Straight from the buffer when the record is in it (nearly always): no promise per record.
    let p = codec.probe(w.buf, off - w.start, w.avail(off), w.size - off);
    if (p.kind === 'more') p = await w.probe(codec, off);
    if (p.kind === 'problem') return done(p);
    if (p.kind !== 'record') throw new Error('unreachable');
    let refused = sink(off, p, w.buf, off - w.start);
    if (refused instanceof Promise) refused = await refused;
    if (refused) return done({ offset: off, ...refused, torn: false });
    off += p.length;
  }
  if (off < ackedEnd) {
    return done({
      offset: off,
      kind: 'missing-acknowledged',
      detail: `the log ends at byte ${off}, but the index snapshot recorded it as durable up to byte ${ackedEnd}: acknowledged records are missing`,
      torn: false,
    });
  }
  return done();
}

async function classify(
  w: FileWindow,
  codec: Codec,
  at: number,
  p: Extract<Probe, { kind: 'problem' }>,
  ackedEnd: number,
): Promise<Problem> {
  const size = w.size;
  const validRecordAt = await findRecord(w, codec, at + 1);
  if (validRecordAt !== undefined) {
    return {
      offset: at,
      kind: p.problem,
      detail: `${p.detail}, and a sound record follows at byte ${validRecordAt}`,
      torn: false,
      validRecordAt,
    };
  }
  const zeroFrom = await zeroRunStart(w, at, size);
  let detail = p.detail;
  let torn = p.problem === 'incomplete-header' || p.problem === 'incomplete-record';
  if (zeroFrom <= at || (p.problem !== 'bad-magic' && zeroFrom < at + p.extent)) {
    torn = true;
    detail = zeroFrom <= at ? 'zero-filled tail' : `${detail}; the file is zeros from byte ${zeroFrom} to its end`;
  }
  if (p.problem === 'incomplete-record' && codec.wholeDespiteLength) {
    const bufAt = await w.load(at, size - at);
    if (codec.wholeDespiteLength(w.buf.subarray(bufAt, bufAt + size - at))) {
      torn = false;
      detail = 'a whole record whose length field is damaged (its checksum matches the bytes up to the end of the file)';
    }
  }
  if (torn && at < ackedEnd) {
    torn = false;
    detail += `; but the index snapshot recorded the log as durable up to byte ${ackedEnd}, so this record was acknowledged`;
  }
  return { offset: at, kind: p.problem, detail, torn };
}

/** The first offset at or after `from` where a sound record starts. */
async function findRecord(w: FileWindow, codec: Codec, from: number): Promise<number | undefined> {
  for (let pos = from; pos < w.size;) {
    const bufAt = await w.load(pos, Math.min(BLOCK, w.size - pos));
    const i = codec.candidate(w.buf, bufAt, w.length);
    if (i < 0) {
      // Candidates are found by a few bytes; step back a little in case one straddles the end of the block.
      pos = Math.max(pos + 1, w.start + w.length - 16);
      if (w.start + w.length >= w.size) return undefined;
      continue;
    }
    const candidate = w.start + i;
    if ((await w.probe(codec, candidate)).kind === 'record') return candidate;
    pos = candidate + 1;
  }
  return undefined;
}

/** The smallest z >= from such that bytes [z, size) are all zero. */
async function zeroRunStart(w: FileWindow, from: number, size: number): Promise<number> {
  const step = 64 * 1024;
  for (let end = size; end > from; end -= step) {
    const start = Math.max(from, end - step);
    const bufAt = await w.load(start, end - start);
    for (let i = end - start - 1; i >= 0; i--) if (w.buf[bufAt + i] !== 0) return start + i + 1;
  }
  return from;
}
