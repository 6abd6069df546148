// The body of a read-model snapshot chunk (format 2): up to CHUNK_ROWS users or tokens stored by column. A loaded
// snapshot is not turned back into objects: the model reads its rows where they lie (memory-base.ts), so a start
// costs a read of the file, not an object, a string and five Map entries per account (four seconds at a million).
//
//   u32 count
//   flags: count × u8
//   numbers: count × f64 per numeric field, one run each (NaN, an invalid date, survives as it is)
//   per string field: u8 encoding (0 latin1, 1 utf16le), u32 byte length, the bytes, then count × u32 byte lengths
//     (both encodings hold any JS string exactly, lone surrogates included, which UTF-8 does not)
//
// Users: numbers revision, sessionEpoch, dateJoined, lastLogin; strings id, username, usernameKey, email, emailKey,
// firstName, lastName, extras (JSON [profile, revokedSessions] when either is not empty, else ''). A key equal to its
// field is stored as '' (flag OWN_*_KEY unset). Tokens: numbers revision, created; strings userId, keyHash. A
// tombstone keeps only its id (userId) and revision. Integers are little-endian.
import { randomBytes } from 'node:crypto';
import { endianness } from 'node:os';
import { isTombstone, type TokenSlot, type UserSlot } from './memory-slots.js';

/** Rows per chunk (all but the last hold exactly this many): a row's chunk is its number over this. */
export const CHUNK_ROWS = 4096;

/** A body that does not hold what its own counts say: damage the checksum did not catch, or another writer. */
export class ColumnsDamaged extends Error {}

export const ACTIVE = 1;
export const STAFF = 2;
export const SUPERUSER = 4;
export const TOMBSTONE = 8;
export const HAS_LAST_LOGIN = 16;
/** The key differs from its field (else the key column holds '' and the key is the field). */
export const OWN_USERNAME_KEY = 32;
export const OWN_EMAIL_KEY = 64;
/** A row superseded by a later row of the same account (format 3): it is no slot, and is read as none. */
export const DEAD = 128;

/** The string columns of a user chunk, in order. */
export const U = { id: 0, username: 1, usernameKey: 2, email: 3, emailKey: 4, firstName: 5, lastName: 6, extras: 7 } as const;
const USER_STRING_COLUMNS = 8;

/** One string column of a chunk: its bytes, each value at [starts[i], starts[i + 1]) in them. */
export interface StringColumn {
  readonly bytes: Buffer;
  readonly wide: boolean;
  readonly starts: Uint32Array;
}

export interface UserChunk {
  readonly rows: number;
  readonly flags: Uint8Array;
  readonly revision: Float64Array;
  readonly sessionEpoch: Float64Array;
  readonly dateJoined: Float64Array;
  readonly lastLogin: Float64Array;
  /** Indexed by U. */
  readonly strings: readonly StringColumn[];
}

export interface TokenChunk {
  readonly rows: number;
  readonly flags: Uint8Array;
  readonly revision: Float64Array;
  readonly created: Float64Array;
  readonly userId: StringColumn;
  readonly keyHash: StringColumn;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** The values as one column: their text in Latin-1 when every code unit fits, else in UTF-16. */
function stringColumnOf(values: readonly string[]): StringColumn {
  const text = values.join('');
  let wide = false;
  for (let i = 0; i < text.length && !wide; i++) wide = text.charCodeAt(i) > 0xff;
  const starts = new Uint32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) starts[i + 1] = starts[i]! + values[i]!.length * (wide ? 2 : 1);
  return { bytes: Buffer.from(text, wide ? 'utf16le' : 'latin1'), wide, starts };
}

/** Users as a chunk by column (what the base reads, whether it was built here or read from a file). */
export function userChunkOf(slots: readonly UserSlot[]): UserChunk {
  const n = slots.length;
  const flags = new Uint8Array(n);
  const [revision, sessionEpoch, dateJoined, lastLogin] = [
    new Float64Array(n),
    new Float64Array(n),
    new Float64Array(n),
    new Float64Array(n),
  ];
  const strings = Array.from({ length: USER_STRING_COLUMNS }, () => new Array<string>(n).fill(''));
  slots.forEach((slot, i) => {
    revision[i] = slot.revision;
    strings[U.id]![i] = slot.id;
    if (isTombstone(slot)) {
      flags[i] = TOMBSTONE;
      return;
    }
    const u = slot;
    flags[i] =
      (u.isActive ? ACTIVE : 0) |
      (u.isStaff ? STAFF : 0) |
      (u.isSuperuser ? SUPERUSER : 0) |
      (u.lastLogin === null ? 0 : HAS_LAST_LOGIN) |
      (u.usernameKey === u.username ? 0 : OWN_USERNAME_KEY) |
      (u.emailKey === u.email ? 0 : OWN_EMAIL_KEY);
    sessionEpoch[i] = u.sessionEpoch;
    dateJoined[i] = u.dateJoined;
    lastLogin[i] = u.lastLogin ?? 0;
    strings[U.username]![i] = u.username;
    strings[U.usernameKey]![i] = u.usernameKey === u.username ? '' : u.usernameKey;
    strings[U.email]![i] = u.email;
    strings[U.emailKey]![i] = u.emailKey === u.email ? '' : u.emailKey;
    strings[U.firstName]![i] = u.firstName;
    strings[U.lastName]![i] = u.lastName;
    if (Object.keys(u.profile).length > 0 || u.revokedSessions.length > 0) {
      strings[U.extras]![i] = JSON.stringify([u.profile, u.revokedSessions]);
    }
  });
  return { rows: n, flags, revision, sessionEpoch, dateJoined, lastLogin, strings: strings.map(stringColumnOf) };
}

export function tokenChunkOf(slots: readonly TokenSlot[]): TokenChunk {
  const n = slots.length;
  const flags = new Uint8Array(n);
  const revision = new Float64Array(n);
  const created = new Float64Array(n);
  const userIds = new Array<string>(n);
  const hashes = new Array<string>(n).fill('');
  slots.forEach((slot, i) => {
    revision[i] = slot.revision;
    userIds[i] = slot.userId;
    if (isTombstone(slot)) flags[i] = TOMBSTONE;
    else {
      created[i] = slot.created;
      hashes[i] = slot.keyHash;
    }
  });
  return { rows: n, flags, revision, created, userId: stringColumnOf(userIds), keyHash: stringColumnOf(hashes) };
}

class ColumnWriter {
  private readonly parts: Buffer[] = [];

  u32(n: number): void {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(n);
    this.parts.push(b);
  }
  bytes(values: Uint8Array): void {
    this.parts.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }
  numbers(values: Float64Array): void {
    if (LITTLE_ENDIAN) return void this.parts.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    const b = Buffer.allocUnsafe(values.length * 8);
    for (let i = 0; i < values.length; i++) b.writeDoubleLE(values[i]!, i * 8);
    this.parts.push(b);
  }
  strings(column: StringColumn): void {
    const n = column.starts.length - 1;
    this.parts.push(Buffer.from([column.wide ? 1 : 0]));
    this.u32(column.bytes.length);
    this.parts.push(column.bytes);
    const lengths = Buffer.allocUnsafe(n * 4);
    for (let i = 0; i < n; i++) lengths.writeUInt32LE(column.starts[i + 1]! - column.starts[i]!, i * 4);
    this.parts.push(lengths);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** The flags of a chunk whose rows from `firstRow` on are numbered in `dead`, with DEAD set on the rows it marks. */
export function flagsWithDead(flags: Uint8Array, dead: Uint8Array | null, firstRow: number): Uint8Array {
  if (dead === null) return flags;
  const out = Uint8Array.from(flags);
  for (let i = 0; i < out.length; i++) if (dead[firstRow + i] === 1) out[i]! |= DEAD;
  return out;
}

/** A chunk of users as the snapshot file holds it: its row count, then each column. */
export function encodeUserChunk(c: UserChunk, dead: Uint8Array | null = null, firstRow = 0): Buffer {
  const w = new ColumnWriter();
  w.u32(c.rows);
  w.bytes(flagsWithDead(c.flags, dead, firstRow));
  for (const column of [c.revision, c.sessionEpoch, c.dateJoined, c.lastLogin]) w.numbers(column);
  for (const column of c.strings) w.strings(column);
  return w.done();
}

export function encodeTokenChunk(c: TokenChunk, dead: Uint8Array | null = null, firstRow = 0): Buffer {
  const w = new ColumnWriter();
  w.u32(c.rows);
  w.bytes(flagsWithDead(c.flags, dead, firstRow));
  w.numbers(c.revision);
  w.numbers(c.created);
  w.strings(c.userId);
  w.strings(c.keyHash);
  return w.done();
}

// ---------------------------------------------------------------------------------------------------------------
// Reading: views into the file's buffer (the numbers and the offsets are copied: they need aligned memory)

const LITTLE_ENDIAN = endianness() === 'LE';

class ColumnReader {
  private at: number;

  constructor(
    private readonly buf: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.at = start;
  }

  private take(bytes: number): number {
    if (this.at + bytes > this.end) throw new ColumnsDamaged('a column runs past its chunk');
    const from = this.at;
    this.at += bytes;
    return from;
  }
  u32(): number {
    return this.buf.readUInt32LE(this.take(4));
  }
  bytes(n: number): Uint8Array {
    const from = this.take(n);
    return this.buf.subarray(from, from + n);
  }
  /** n little-endian u32s, copied (typed arrays need aligned memory, and take the machine's byte order). */
  u32s(n: number): Uint32Array {
    const from = this.take(n * 4);
    if (!LITTLE_ENDIAN) return Uint32Array.from({ length: n }, (_, i) => this.buf.readUInt32LE(from + i * 4));
    return new Uint32Array(this.buf.buffer.slice(this.buf.byteOffset + from, this.buf.byteOffset + from + n * 4));
  }
  numbers(n: number): Float64Array {
    const from = this.take(n * 8);
    if (!LITTLE_ENDIAN) return Float64Array.from({ length: n }, (_, i) => this.buf.readDoubleLE(from + i * 8));
    return new Float64Array(this.buf.buffer.slice(this.buf.byteOffset + from, this.buf.byteOffset + from + n * 8));
  }
  strings(n: number): StringColumn {
    const encoding = this.buf[this.take(1)];
    if (encoding !== 0 && encoding !== 1) throw new ColumnsDamaged('a string column of an unknown encoding');
    const byteLength = this.u32();
    const from = this.take(byteLength);
    const lengths = this.u32s(n);
    const starts = new Uint32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const length = lengths[i]!;
      if (encoding === 1 && length % 2 !== 0) throw new ColumnsDamaged('a UTF-16 value of an odd length');
      starts[i + 1] = starts[i]! + length;
    }
    if (starts[n] !== byteLength) throw new ColumnsDamaged('a string column does not hold what its lengths say');
    return { bytes: this.buf.subarray(from, from + byteLength), wide: encoding === 1, starts };
  }
  finished(): void {
    if (this.at !== this.end) throw new ColumnsDamaged('a chunk holds more than its columns');
  }
}

export function readUserChunk(buf: Buffer, start: number, end: number): UserChunk {
  const r = new ColumnReader(buf, start, end);
  const rows = r.u32();
  if (rows > CHUNK_ROWS) throw new ColumnsDamaged('a chunk of too many rows');
  const flags = r.bytes(rows);
  const [revision, sessionEpoch, dateJoined, lastLogin] = [r.numbers(rows), r.numbers(rows), r.numbers(rows), r.numbers(rows)];
  const strings = Array.from({ length: USER_STRING_COLUMNS }, () => r.strings(rows));
  r.finished();
  return { rows, flags, revision, sessionEpoch, dateJoined, lastLogin, strings };
}

export function readTokenChunk(buf: Buffer, start: number, end: number): TokenChunk {
  const r = new ColumnReader(buf, start, end);
  const rows = r.u32();
  if (rows > CHUNK_ROWS) throw new ColumnsDamaged('a chunk of too many rows');
  const flags = r.bytes(rows);
  const revision = r.numbers(rows);
  const created = r.numbers(rows);
  const userId = r.strings(rows);
  const keyHash = r.strings(rows);
  r.finished();
  return { rows, flags, revision, created, userId, keyHash };
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** Value i of a column, as a string of its own. */
export function stringAt(c: StringColumn, i: number): string {
  const start = c.starts[i]!;
  const end = c.starts[i + 1]!;
  return start === end ? '' : c.bytes.toString(c.wide ? 'utf16le' : 'latin1', start, end);
}

// Usernames and emails are chosen by users: a hash they could predict would let them register names that all land
// in one place of an index, and make its lookups and its build at load slow. The offset (the seed) is drawn for each
// set of tables built from scratch, as V8 seeds its own string hash; a snapshot that saves the tables saves it too.
export const newHashSeed = (): number => (0x811c9dc5 ^ randomBytes(4).readUInt32LE(0)) >>> 0;

/**
 * Keys the service makes itself (user ids, token hashes: random, or Django's integers) are hashed on their last
 * KEY_TAIL code units only, where they differ; keys users choose (usernames, emails) on all of them. Building the
 * indexes of a big snapshot is mostly this hashing.
 */
export const KEY_TAIL = 16;
export const WHOLE = Infinity;

// Two code units a step, FNV's prime with a shift that brings high bits down (the tables index by the low bits),
// and murmur3's finaliser.
const step = (h: number, word: number): number => {
  const m = Math.imul(h ^ word, 0x01000193);
  return m ^ (m >>> 15);
};
const finish = (h: number): number => {
  const a = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  const b = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  return (b ^ (b >>> 16)) >>> 0;
};

/** The hash of the code units of `s` (its last `window` of them): the same as hashAt's of the same value in a column. */
export function hashString(s: string, window: number, seed: number): number {
  const n = s.length;
  let i = n > window ? n - window : 0;
  let h = seed ^ n;
  for (; i + 1 < n; i += 2) h = step(h, s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
  if (i < n) h = step(h, s.charCodeAt(i));
  return finish(h);
}

export function hashAt(c: StringColumn, i: number, window: number, seed: number): number {
  const { bytes } = c;
  const start = c.starts[i]!;
  const end = c.starts[i + 1]!;
  if (c.wide) {
    const n = (end - start) >> 1;
    let j = n > window ? end - window * 2 : start;
    let h = seed ^ n;
    for (; j + 3 < end; j += 4) h = step(h, bytes[j]! | (bytes[j + 1]! << 8) | ((bytes[j + 2]! | (bytes[j + 3]! << 8)) << 16));
    if (j < end) h = step(h, bytes[j]! | (bytes[j + 1]! << 8));
    return finish(h);
  }
  const n = end - start;
  let j = n > window ? end - window : start;
  let h = seed ^ n;
  for (; j + 1 < end; j += 2) h = step(h, bytes[j]! | (bytes[j + 1]! << 16));
  if (j < end) h = step(h, bytes[j]!);
  return finish(h);
}

/** Whether value i of a column is `s`, without making a string of it. */
export function equalsAt(c: StringColumn, i: number, s: string): boolean {
  const { bytes } = c;
  const start = c.starts[i]!;
  const end = c.starts[i + 1]!;
  if (c.wide) {
    if (end - start !== s.length * 2) return false;
    for (let j = start, k = 0; j < end; j += 2, k++) if ((bytes[j]! | (bytes[j + 1]! << 8)) !== s.charCodeAt(k)) return false;
    return true;
  }
  if (end - start !== s.length) return false;
  for (let j = start, k = 0; j < end; j++, k++) if (bytes[j] !== s.charCodeAt(k)) return false;
  return true;
}

export const isEmptyAt = (c: StringColumn, i: number): boolean => c.starts[i] === c.starts[i + 1];
