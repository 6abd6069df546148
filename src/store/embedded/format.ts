// The on-disk format of the event log (dir/events.log), version 2.
//
// File header, 36 bytes:
//   0  8  magic FF 'A' 'S' 'L' 'O' 'G' CR LF (0xFF never occurs in UTF-8, so no version-1 log starts like this)
//   8  4  format version (u32 BE) = 2
//  12  4  flags (u32 BE) = 0
//  16 16  log id: random, so an index snapshot is only ever applied to the log it was taken of
//  32  4  CRC-32 of bytes 0..32
// Then records, one per append (so an append is all-or-nothing), each a 40-byte header and a body:
//   0  2  magic FF A5 (a record start; 0xFF cannot occur inside a body, which is UTF-8)
//   2  1  record kind = 1 (events)
//   3  1  flags = 0
//   4  4  body length (u32 BE)
//   8  6  global position of the first event (u48 BE, 1-based: the n-th event of the log has position n)
//  14  6  revision of the first event in its stream (u48 BE)
//  20  6  created, ms since the epoch (u48 BE)
//  26  2  stream id length in bytes (u16 BE)
//  28  4  event count (u32 BE, >= 1)
//  32  4  CRC-32 of the body
//  36  4  CRC-32 of header bytes 0..36, so a flipped bit in a length is caught before the length is believed
//  40     body: the stream id (UTF-8), then a JSON array of the events: [{"i": id, "y": type, "d": data, "m"?: metadata}]
//
// Version 1 (before the header checksum) is read by format-v1.ts.
import { crc32 } from 'node:zlib';

export const LOG_FILE = 'events.log';
export const SNAPSHOT_FILE = 'events.idx';
export const LOCK_FILE = 'events.lock';

export const FILE_MAGIC = Buffer.from([0xff, 0x41, 0x53, 0x4c, 0x4f, 0x47, 0x0d, 0x0a]);
export const FORMAT_VERSION = 2;
export const FILE_HEADER_BYTES = 36;
export const RECORD_HEADER_BYTES = 40;
export const RECORD_MAGIC = Buffer.from([0xff, 0xa5]);
const KIND_EVENTS = 1;
/** No append of an auth service comes near this; a header claiming more is damage, not data. */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
const U48_MAX = 2 ** 48 - 1;

const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/**
 * The same CRC-32 as zlib's, of buf[start, end), in JS: for the 36 header bytes this is twice as fast as zlib's,
 * whose call and the subarray it needs cost more than the bytes (a scan or replay does it once a record).
 */
function crc32Of(buf: Uint8Array, start: number, end: number): number {
  let c = -1;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

export function encodeFileHeader(logId: Uint8Array): Buffer {
  const b = Buffer.alloc(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(b, 0);
  b.writeUInt32BE(FORMAT_VERSION, 8);
  b.set(logId, 16);
  b.writeUInt32BE(crc32(b.subarray(0, 32)), 32);
  return b;
}

export type FileFormat =
  | { readonly format: 'empty' }
  | { readonly format: 'v2'; readonly logId: Buffer }
  | { readonly format: 'v1' }
  | { readonly format: 'damaged'; readonly detail: string };

/** What kind of log a file is, from its first bytes (`head` holds up to FILE_HEADER_BYTES of them). */
export function identify(head: Buffer, size: number): FileFormat {
  if (size === 0) return { format: 'empty' };
  // A version-1 log starts with a record length; one starting with 0xFF would claim over 4 GB, which it never wrote.
  if (head[0] !== 0xff) return { format: 'v1' };
  if (size < FILE_HEADER_BYTES) return { format: 'damaged', detail: `the file header is cut short (${size} bytes)` };
  if (!head.subarray(0, 8).equals(FILE_MAGIC)) return { format: 'damaged', detail: 'the file header has a wrong magic number' };
  if (crc32(head.subarray(0, 32)) !== head.readUInt32BE(32))
    return { format: 'damaged', detail: 'the file header checksum does not match' };
  const version = head.readUInt32BE(8);
  if (version !== FORMAT_VERSION) {
    return { format: 'damaged', detail: `format version ${version} is not supported by this authstream (it reads ${FORMAT_VERSION})` };
  }
  return { format: 'v2', logId: Buffer.from(head.subarray(16, 32)) };
}

export interface RecordFields {
  readonly position: number;
  readonly revision: number;
  readonly created: number;
  readonly streamId: Uint8Array;
  readonly count: number;
}

/** One append as a record; `events` is the JSON array of the events. */
export function encodeRecord(fields: RecordFields, events: string): Buffer {
  const idLength = fields.streamId.length;
  const bodyLength = idLength + Buffer.byteLength(events);
  if (bodyLength > MAX_BODY_BYTES) throw new RangeError(`an append is limited to ${MAX_BODY_BYTES} bytes`);
  if (fields.position + fields.count > U48_MAX) throw new RangeError('the log is full (2^48 events)');
  const b = Buffer.allocUnsafe(RECORD_HEADER_BYTES + bodyLength);
  RECORD_MAGIC.copy(b, 0);
  b[2] = KIND_EVENTS;
  b[3] = 0;
  b.writeUInt32BE(bodyLength, 4);
  b.writeUIntBE(fields.position, 8, 6);
  b.writeUIntBE(fields.revision, 14, 6);
  b.writeUIntBE(fields.created, 20, 6);
  b.writeUInt16BE(idLength, 26);
  b.writeUInt32BE(fields.count, 28);
  b.set(fields.streamId, RECORD_HEADER_BYTES);
  b.write(events, RECORD_HEADER_BYTES + idLength, 'utf8');
  b.writeUInt32BE(crc32(b.subarray(RECORD_HEADER_BYTES)), 32);
  b.writeUInt32BE(crc32Of(b, 0, 36), 36);
  return b;
}

export type ProblemKind =
  /** The file ends inside a record header. */
  | 'incomplete-header'
  /** The file ends inside a record whose header is intact. */
  | 'incomplete-record'
  /** The bytes where a record should start are not a record header. */
  | 'bad-magic'
  | 'header-checksum'
  /** The header's checksum holds but its fields are impossible. */
  | 'bad-header'
  | 'body-checksum'
  /** The body's checksum holds but it does not decode. */
  | 'bad-body'
  /** A sound record whose position or revision is not the next one (e.g. a duplicated piece of the file). */
  | 'out-of-order'
  /** The file ends before the end the index snapshot recorded as durable: acknowledged records are missing. */
  | 'missing-acknowledged';

export interface ProbedRecord {
  readonly kind: 'record';
  /** Header and body. */
  readonly length: number;
  readonly position: number;
  readonly revision: number;
  readonly count: number;
  /** The stream id's UTF-8 bytes: a view into the buffer probed, valid until it is reused. */
  readonly streamId: Uint8Array;
}

export type Probe =
  | ProbedRecord
  /** `need` bytes from the record start must be in the buffer to tell (they are all in the file). */
  | { readonly kind: 'more'; readonly need: number }
  /** `extent`: how far the record reaches by its header when the header can be trusted, else the header size. */
  | { readonly kind: 'problem'; readonly problem: ProblemKind; readonly extent: number; readonly detail: string };

/** An event as stored in a version-2 body (short keys: the body is parsed as is, without a copy per event). */
export interface DecodedEvent {
  readonly i: string;
  readonly y: string;
  readonly d: Record<string, unknown>;
  readonly m?: Record<string, unknown>;
}

export interface DecodedRecord {
  readonly streamId: string;
  readonly position: number;
  readonly revision: number;
  readonly created: number;
  readonly events: DecodedEvent[];
}

/** How one format reads its records; `at` indexes `buf`, `avail` bytes from `at` are in it, `remaining` in the file. */
export interface Codec {
  readonly version: 1 | 2;
  /** Where the first record starts. */
  readonly dataStart: number;
  probe(buf: Buffer, at: number, avail: number, remaining: number): Probe;
  /** The next index in buf[from, to) where a record might start, or -1 (to look for records past damage). */
  candidate(buf: Buffer, from: number, to: number): number;
  /** Decodes a record `probe` accepted; throws on a body that does not decode. */
  decode(buf: Buffer, at: number, length: number): DecodedRecord;
  /** With the file ending inside a record: whether what is there is nevertheless a whole record (its length damaged). */
  wholeDespiteLength?(bytes: Buffer): boolean;
}

const problem = (kind: ProblemKind, extent: number, detail: string): Probe => ({ kind: 'problem', problem: kind, extent, detail });

export const v2: Codec = {
  version: 2,
  dataStart: FILE_HEADER_BYTES,

  probe(buf, at, avail, remaining) {
    if (remaining < RECORD_HEADER_BYTES) {
      if (avail < remaining) return { kind: 'more', need: remaining };
      // What a torn write leaves is a prefix of a real header.
      const prefix = Buffer.from([0xff, 0xa5, KIND_EVENTS, 0]).subarray(0, Math.min(4, remaining));
      return buf.subarray(at, at + prefix.length).equals(prefix)
        ? problem('incomplete-header', RECORD_HEADER_BYTES, `the file ends ${remaining} bytes into a record header`)
        : problem('bad-magic', RECORD_HEADER_BYTES, 'no record header here');
    }
    if (avail < RECORD_HEADER_BYTES) return { kind: 'more', need: RECORD_HEADER_BYTES };
    if (buf[at] !== 0xff || buf[at + 1] !== 0xa5) return problem('bad-magic', RECORD_HEADER_BYTES, 'no record header here');
    if (crc32Of(buf, at, at + 36) !== buf.readUInt32BE(at + 36)) {
      return problem('header-checksum', RECORD_HEADER_BYTES, 'the record header checksum does not match');
    }
    const bodyLength = buf.readUInt32BE(at + 4);
    const idLength = buf.readUInt16BE(at + 26);
    const count = buf.readUInt32BE(at + 28);
    if (buf[at + 2] !== KIND_EVENTS || buf[at + 3] !== 0 || bodyLength > MAX_BODY_BYTES || idLength > bodyLength || count === 0) {
      return problem('bad-header', RECORD_HEADER_BYTES, 'the record header holds impossible values');
    }
    const length = RECORD_HEADER_BYTES + bodyLength;
    if (remaining < length) {
      return problem('incomplete-record', length, `the file ends ${remaining} bytes into a ${length}-byte record`);
    }
    if (avail < length) return { kind: 'more', need: length };
    if (crc32(buf.subarray(at + RECORD_HEADER_BYTES, at + length)) !== buf.readUInt32BE(at + 32)) {
      return problem('body-checksum', length, 'the record body checksum does not match');
    }
    return {
      kind: 'record',
      length,
      position: buf.readUIntBE(at + 8, 6),
      revision: buf.readUIntBE(at + 14, 6),
      count,
      streamId: buf.subarray(at + RECORD_HEADER_BYTES, at + RECORD_HEADER_BYTES + idLength),
    };
  },

  candidate(buf, from, to) {
    const i = buf.indexOf(RECORD_MAGIC, from);
    return i >= 0 && i < to ? i : -1;
  },

  decode(buf, at, length) {
    const idLength = buf.readUInt16BE(at + 26);
    const bodyStart = at + RECORD_HEADER_BYTES;
    const events = JSON.parse(buf.toString('utf8', bodyStart + idLength, at + length)) as DecodedEvent[];
    if (!Array.isArray(events) || events.length !== buf.readUInt32BE(at + 28)) throw new Error('the event count does not match the header');
    return {
      streamId: buf.toString('utf8', bodyStart, bodyStart + idLength),
      position: buf.readUIntBE(at + 8, 6),
      revision: buf.readUIntBE(at + 14, 6),
      created: buf.readUIntBE(at + 20, 6),
      events,
    };
  },
};

/** The JSON array of a record's events, in the short keys above; metadata only when given. */
export function encodeEvents(events: readonly { id: string; type: string; data: unknown; metadata?: unknown }[]): string {
  return JSON.stringify(
    events.map((e) => (e.metadata === undefined ? { i: e.id, y: e.type, d: e.data } : { i: e.id, y: e.type, d: e.data, m: e.metadata })),
  );
}
