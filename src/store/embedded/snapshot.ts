// The index snapshot (dir/events.idx): the in-memory index written out whole, so an open reads it and scans only
// the log written after it. It also records how far the log was durable when it was taken ("acknowledged end"):
// a problem before that offset is damage even at the very end of the file, never a torn write to drop.
//
//   [magic FF 'A' 'S' 'I' 'D' 'X' CR LF][u32 BE meta length][meta JSON][columns, native byte order][u32 BE CRC-32 of all before]
//
// Columns: record offset f64, first position u32, previous record i32 (× records); stream id start u32, id length
// u16, hash u32, last record i32, event count u32 (× streams); then the used bytes of each id arena page. The meta
// JSON also holds the segment checksums of the log (checksums.ts), which a warm open checks the log against.
// A snapshot that is missing, fails its checksum, or was taken of another log (log id) is ignored: a full scan.
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { SegmentChecksums } from './checksums.js';
import { CHUNK, type Column } from './columns.js';
import { SNAPSHOT_FILE } from './format.js';
import { LogIndex } from './log-index.js';
import { readFully } from './scan.js';
import { createPrivate } from './files.js';
import { PAGE_BYTES } from './streams.js';

const MAGIC = Buffer.from([0xff, 0x41, 0x53, 0x49, 0x44, 0x58, 0x0d, 0x0a]);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

interface Meta {
  readonly version: 2;
  readonly logId: string;
  readonly littleEndian: boolean;
  readonly chunk: number;
  readonly pageBytes: number;
  /** The log was durable (every append in it acknowledged or acknowledgeable) up to here; records end here. */
  readonly ackedEnd: number;
  readonly records: number;
  readonly events: number;
  readonly streams: number;
  readonly pageUsed: number[];
  /** CRC-32 of each 64 MiB segment of the records, up to ackedEnd (checksums.ts). */
  readonly segmentCrcs: number[];
}

export interface Snapshot {
  readonly index: LogIndex;
  readonly ackedEnd: number;
}

/** What a snapshot will write, taken synchronously so it is one consistent state of an index that keeps growing. */
export interface CapturedSnapshot {
  readonly ackedEnd: number;
  readonly parts: Uint8Array[];
}

function columns(index: LogIndex): { column: Column; appendOnly: boolean }[] {
  const s = index.streams;
  return [
    { column: index.offset, appendOnly: true },
    { column: index.firstPosition, appendOnly: true },
    { column: index.previous, appendOnly: true },
    { column: s.idAt, appendOnly: true },
    { column: s.idLength, appendOnly: true },
    { column: s.hash, appendOnly: true },
    { column: s.lastRecord, appendOnly: false },
    { column: s.eventCount, appendOnly: false },
  ];
}

export function captureSnapshot(index: LogIndex, logId: Buffer): CapturedSnapshot {
  const s = index.streams;
  const meta: Meta = {
    version: 2,
    logId: logId.toString('hex'),
    littleEndian: LITTLE_ENDIAN,
    chunk: CHUNK,
    pageBytes: PAGE_BYTES,
    ackedEnd: index.end,
    records: index.records,
    events: index.events,
    streams: s.size,
    pageUsed: [...s.pageUsed],
    segmentCrcs: [...index.checksums.crcs],
  };
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(12);
  MAGIC.copy(head);
  head.writeUInt32BE(metaBytes.length, 8);
  const parts: Uint8Array[] = [head, metaBytes];
  for (const { column, appendOnly } of columns(index)) parts.push(...column.bytes(appendOnly));
  // Pages before the last are full for good; the last one still fills up, so it is copied.
  s.pages.forEach((page, i) => {
    const used = page.subarray(0, s.pageUsed[i]);
    parts.push(i === s.pages.length - 1 ? used.slice() : used);
  });
  return { ackedEnd: index.end, parts };
}

/** Writes a captured snapshot beside the log: to a temporary file, synced, then renamed over the old one. */
export async function persistSnapshot(dir: string, snapshot: CapturedSnapshot): Promise<void> {
  const path = join(dir, SNAPSHOT_FILE);
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  const file = await createPrivate(temporary);
  try {
    let crc = 0;
    let position = 0;
    for (const part of snapshot.parts) {
      crc = crc32(part, crc);
      for (let done = 0; done < part.length;) done += (await file.write(part, done, part.length - done, position + done)).bytesWritten;
      position += part.length;
    }
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE(crc);
    await file.write(trailer, 0, 4, position);
    await file.datasync();
    await file.close();
    await rename(temporary, path);
  } catch (err) {
    await file.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}

/**
 * The snapshot of the log `logId`, or why there is none to use (`ignored`), or undefined if there is none. Only a
 * snapshot whose checksum holds is believed at all, its acknowledged end included.
 */
export async function loadSnapshot(
  dir: string,
  logId: Buffer,
  dataStart: number,
  /** Told the log's segment checksums as soon as they are read, before the rest (so checking the log can start). */
  onChecksums?: (checksums: SegmentChecksums) => void,
): Promise<Snapshot | { ignored: string } | undefined> {
  let file: FileHandle;
  try {
    file = await open(join(dir, SNAPSHOT_FILE), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const size = (await file.stat()).size;
    let position = 0;
    let crc = 0;
    const read = async (into: Uint8Array): Promise<void> => {
      if ((await readFully(file, into, 0, into.length, position)) !== into.length) throw new CutShort();
      crc = crc32(into, crc);
      position += into.length;
    };
    const head = Buffer.alloc(12);
    if (size < 12) return { ignored: 'it is not an index snapshot' };
    await read(head);
    if (!head.subarray(0, 8).equals(MAGIC)) return { ignored: 'it is not an index snapshot' };
    const metaLength = head.readUInt32BE(8);
    if (metaLength > 1 << 24 || 12 + metaLength > size) return { ignored: 'its header is damaged' };
    const metaBytes = Buffer.alloc(metaLength);
    await read(metaBytes);
    let meta: Meta;
    try {
      meta = JSON.parse(metaBytes.toString('utf8')) as Meta;
    } catch {
      return { ignored: 'its header is damaged' };
    }
    // The meta is used before the trailer's checksum can vouch for it, so its shape is checked first.
    if (!wellFormed(meta)) return { ignored: 'its header is damaged' };
    if (meta.logId !== logId.toString('hex')) return { ignored: 'it was taken of another log' };
    if (meta.version !== 2 || meta.littleEndian !== LITTLE_ENDIAN || meta.chunk !== CHUNK || meta.pageBytes !== PAGE_BYTES) {
      return { ignored: 'it was written in another layout' };
    }
    const expected = 12 + metaLength + meta.records * 16 + meta.streams * 18 + meta.pageUsed.reduce((a, b) => a + b, 0) + 4;
    if (size !== expected) return { ignored: `it is ${size} bytes where its header describes ${expected}` };
    if (onChecksums) {
      const checksums = new SegmentChecksums(dataStart, meta.ackedEnd);
      checksums.crcs.push(...meta.segmentCrcs);
      onChecksums(checksums);
    }

    const index = new LogIndex(dataStart);
    for (const { column } of columns(index)) {
      const entries = column === index.offset || column === index.firstPosition || column === index.previous ? meta.records : meta.streams;
      await column.load(entries, read);
    }
    const s = index.streams;
    for (const used of meta.pageUsed) {
      const page = new Uint8Array(PAGE_BYTES);
      await read(page.subarray(0, used));
      s.pages.push(page);
      s.pageUsed.push(used);
    }
    const trailer = Buffer.alloc(4);
    if ((await readFully(file, trailer, 0, 4, position)) !== 4 || trailer.readUInt32BE(0) !== crc) {
      return { ignored: 'its checksum does not match' };
    }
    index.events = meta.events;
    index.end = meta.ackedEnd;
    index.checksums.crcs.push(...meta.segmentCrcs);
    index.checksums.end = meta.ackedEnd;
    s.rehash();
    return { index, ackedEnd: meta.ackedEnd };
  } catch (err) {
    if (err instanceof CutShort) return { ignored: 'it is cut short' };
    throw err;
  } finally {
    await file.close();
  }
}

class CutShort extends Error {}

function wellFormed(meta: Meta): boolean {
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const counts = (a: unknown) => Array.isArray(a) && a.every(count);
  return (
    typeof meta === 'object' &&
    meta !== null &&
    typeof meta.logId === 'string' &&
    [meta.version, meta.chunk, meta.pageBytes, meta.ackedEnd, meta.records, meta.events, meta.streams].every(count) &&
    counts(meta.pageUsed) &&
    counts(meta.segmentCrcs)
  );
}
