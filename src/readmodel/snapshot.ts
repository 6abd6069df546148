// The snapshot of the in-memory read model (DATA_DIR/read-model.snapshot): every user and token slot (tombstones
// included), every checkpoint and the highest integer id, so a start loads it and replays only the log after it.
// The base's index tables (id, username, email, token by user and by hash) are saved with it, with the seed of their
// hash: a start takes them once they agree with the rows (memory-base.ts usableTables), else builds them from the
// rows (~0.4 s at 1M accounts), as it does for the rows the base did not hold yet.
//
//   [magic FF 'A' 'S' 'R' 'M' CR LF 1A][u32 BE meta length][meta JSON]
//   ([u8 kind: 1 users, 2 tokens][u32 BE length][CHUNK_ROWS users or tokens by column, the last chunk of a kind
//     fewer: snapshot-columns.ts])*
//   ([u8 kind 3][u32 BE length][u8 table][u8 n][n zero bytes, so the slots start at a multiple of 4 in the file]
//     [the table's Int32 slots, little-endian])*
//   [u32 BE CRC-32 of every byte before]
//
// A loaded snapshot is read in place (memory-base.ts): no document is made of it until one is asked for. It is
// written the same way, from the model's base and maps (layoutOf): the base's chunks as they are, the maps' slots
// after them, and a row that a later one supersedes flagged DEAD (a snapshot with more dead rows than live ones is
// written without them, and without tables). Format 1 held JSON tuples made into objects at load, format 2 had no
// DEAD flag, format 3 no tables; a snapshot in any of them is refused by its format (one full replay after the
// upgrade), not read by a second decoder kept for one start.
//
// The meta says what the snapshot is of: the log (the embedded log's id), the event at the read model's checkpoint
// (position and id, so a snapshot of another log or past this log's end is refused), and the projections' code
// (a fingerprint of the modules that decide what the model holds: a snapshot of other code is stale). Checking
// those against the log is the caller's (read-model-snapshots.ts); this module reads, writes and checksums.
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { PRIVATE_FILE_MODE } from '../data-dir.js';
import type { Position } from '../store/port.js';
import type { MemoryState } from './memory.js';
import { layoutOf, MemoryBase, TABLE_COUNT, type SavedTables } from './memory-base.js';
import {
  CHUNK_ROWS,
  ColumnsDamaged,
  encodeTokenChunk,
  encodeUserChunk,
  readTokenChunk,
  readUserChunk,
  type TokenChunk,
  type UserChunk,
} from './snapshot-columns.js';

/** What the service writes, at intervals and at close. */
export const READ_MODEL_SNAPSHOT_FILE = 'read-model.snapshot';
/** What `authstream rebuild` writes beside a running service; the next start prefers it, once. */
export const REBUILT_SNAPSHOT_FILE = 'read-model.rebuilt.snapshot';

const MAGIC = Buffer.from([0xff, 0x41, 0x53, 0x52, 0x4d, 0x0d, 0x0a, 0x1a]);
const FORMAT = 4;
const USERS = 1;
const TOKENS = 2;
const TABLE = 3;

export interface SnapshotMeta {
  readonly format: typeof FORMAT;
  /** Of the projections' code (projectionFingerprint()). */
  readonly fingerprint: string;
  /** The embedded log's id (hex), when the store has one. */
  readonly logId: string | null;
  /** The read model's checkpoint: the position of the last event it covers ([commit, prepare] as decimals). */
  readonly position: readonly [string, string];
  /** The id of the event at `position`: the log must still have that event there. */
  readonly eventId: string;
  readonly checkpoints: readonly (readonly [string, string, string])[];
  readonly maxIntegerId: number;
  readonly users: number;
  readonly tokens: number;
  /** The saved tables' hash seed and the user and token rows they cover; null: none saved. */
  readonly tables: { readonly seed: number; readonly users: number; readonly tokens: number } | null;
  readonly writtenAt: string;
  /** 'service' (periodic or at close) or 'rebuild' (authstream rebuild). */
  readonly source: 'service' | 'rebuild';
}

export interface LoadedSnapshot {
  readonly meta: SnapshotMeta;
  readonly state: MemoryState;
  readonly bytes: number;
}

/** Why a snapshot file was not used (not checked against the log yet: see read-model-snapshots.ts). */
export interface RefusedSnapshot {
  readonly refused: string;
}

export const positionOf = (meta: Pick<SnapshotMeta, 'position'>): Position => ({
  commit: BigInt(meta.position[0]),
  prepare: BigInt(meta.position[1]),
});

// ---------------------------------------------------------------------------------------------------------------
// Writing

/** Lets requests run between chunks: a snapshot of a big model is written without holding the event loop. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface WriteResult {
  readonly bytes: number;
  readonly milliseconds: number;
  /** The slots written. */
  readonly users: number;
  readonly tokens: number;
}

/**
 * Writes `state` to `file`: to a temporary file beside it (0600), synced, renamed over it, the directory synced. The
 * state must not change meanwhile (a capture() of the memory model does not: its documents are never changed).
 */
export async function writeReadModelSnapshot(
  file: string,
  state: MemoryState,
  about: Pick<SnapshotMeta, 'fingerprint' | 'logId' | 'eventId' | 'source'> & { readonly position: Position },
): Promise<WriteResult> {
  const started = performance.now();
  // The base's chunks as they are, the maps' slots after them, the rows these supersede marked DEAD: no row of the
  // base is made into an object on the way out.
  const layout = layoutOf(state.base, state.users, state.tokens);
  const counts = { users: layout.users - layout.deadUserRows, tokens: layout.tokens - layout.deadTokenRows };
  // The base's rows keep their numbers in the file unless it is written compacted: then its tables would not fit.
  const tables = state.base && !layout.compacted ? state.base.savedTables() : null;
  const meta: SnapshotMeta = {
    format: FORMAT,
    fingerprint: about.fingerprint,
    logId: about.logId,
    position: [String(about.position.commit), String(about.position.prepare)],
    eventId: about.eventId,
    checkpoints: state.checkpoints.map(([name, p]) => [name, String(p.commit), String(p.prepare)] as const),
    maxIntegerId: state.maxIntegerId,
    users: counts.users,
    tokens: counts.tokens,
    tables: tables && { seed: tables.seed, users: tables.users, tokens: tables.tokens },
    writtenAt: new Date().toISOString(),
    source: about.source,
  };
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', PRIVATE_FILE_MODE);
  let written = 0;
  let crc = 0;
  const put = async (data: Buffer) => {
    crc = crc32(data, crc);
    for (let done = 0; done < data.length;) done += (await handle.write(data, done, data.length - done, written + done)).bytesWritten;
    written += data.length;
  };
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    const metaBytes = Buffer.from(JSON.stringify(meta));
    const head = Buffer.alloc(12);
    MAGIC.copy(head);
    head.writeUInt32BE(metaBytes.length, 8);
    await put(head);
    await put(metaBytes);
    const chunk = async (kind: number, body: Buffer) => {
      const header = Buffer.alloc(5);
      header.writeUInt8(kind, 0);
      header.writeUInt32BE(body.length, 1);
      await put(header);
      await put(body);
      await yieldToLoop();
    };
    for (const [i, c] of layout.userChunks.entries()) await chunk(USERS, encodeUserChunk(c, layout.deadUsers, i * CHUNK_ROWS));
    for (const [i, c] of layout.tokenChunks.entries()) await chunk(TOKENS, encodeTokenChunk(c, layout.deadTokens, i * CHUNK_ROWS));
    for (const [k, slots] of (tables?.slots ?? []).entries()) {
      const pad = (4 - ((written + 7) % 4)) % 4;
      const head = Buffer.alloc(7 + pad);
      head.writeUInt8(TABLE, 0);
      head.writeUInt32BE(2 + pad + slots.byteLength, 1);
      head.writeUInt8(k, 5);
      head.writeUInt8(pad, 6);
      await put(head);
      await put(littleEndian(slots));
      await yieldToLoop();
    }
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32BE(crc >>> 0);
    for (let done = 0; done < 4;) done += (await handle.write(trailer, done, 4 - done, written + done)).bytesWritten;
    written += 4;
    await handle.datasync();
    await handle.close();
    await rename(temporary, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(path.dirname(file));
  return { bytes: written, milliseconds: performance.now() - started, ...counts };
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A table's slots as the file holds them (little-endian): its own bytes on every machine this runs on but a few. */
function littleEndian(slots: Int32Array): Buffer {
  const bytes = Buffer.from(slots.buffer, slots.byteOffset, slots.byteLength);
  return LITTLE_ENDIAN ? bytes : Buffer.from(bytes).swap32();
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Temporary files of snapshots whose writer died; removed at start. */
export async function removeSnapshotLeftovers(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if ((name.startsWith(`${READ_MODEL_SNAPSHOT_FILE}.`) || name.startsWith(`${REBUILT_SNAPSHOT_FILE}.`)) && name.endsWith('.tmp')) {
      await unlink(path.join(dir, name)).catch(() => undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading

class Refused extends Error {}

/**
 * The snapshot in `file`; undefined when there is none; `{ refused }` when it cannot be used as it stands (damaged,
 * cut short, another format). The whole file is read at once and its checksum checked before anything in it is
 * believed; its rows are then read in place, and its index tables taken or, failing that, built from the rows.
 */
export async function readReadModelSnapshot(
  file: string,
  /** The file is read in pieces of this size (a test makes them small). */
  { pieceBytes = 16 * 2 ** 20 }: { readonly pieceBytes?: number } = {},
): Promise<LoadedSnapshot | RefusedSnapshot | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let buf: Buffer;
  let crc = 0;
  try {
    const size = (await handle.stat()).size;
    if (size < 16) return { refused: 'it is not a read-model snapshot' };
    buf = Buffer.allocUnsafe(size);
    // The checksum of each piece is taken while the next one is read (at 10M events, ~130 ms of a warm start).
    const summed = size - 4;
    let checked = 0;
    for (let done = 0; done < size;) {
      const reading = handle.read(buf, done, Math.min(size - done, pieceBytes), done);
      if (checked < Math.min(done, summed)) crc = crc32(buf.subarray(checked, (checked = Math.min(done, summed))), crc);
      const { bytesRead } = await reading;
      if (bytesRead === 0) return { refused: 'it is cut short' };
      done += bytesRead;
    }
    if (checked < summed) crc = crc32(buf.subarray(checked, summed), crc);
  } finally {
    await handle.close();
  }
  try {
    return parseSnapshot(buf, crc >>> 0);
  } catch (error) {
    if (error instanceof Refused) return { refused: error.message };
    throw error;
  }
}

/** `crc`: the CRC-32 of every byte but the last four, which must hold it. */
function parseSnapshot(buf: Buffer, crc: number): LoadedSnapshot {
  const size = buf.length;
  if (!buf.subarray(0, 8).equals(MAGIC)) throw new Refused('it is not a read-model snapshot');
  if (crc !== buf.readUInt32BE(size - 4)) throw new Refused('its checksum does not match');
  const metaLength = buf.readUInt32BE(8);
  if (metaLength > 1 << 26 || 12 + metaLength + 4 > size) throw new Refused('its header is damaged');
  let meta: SnapshotMeta;
  try {
    meta = JSON.parse(buf.toString('utf8', 12, 12 + metaLength)) as SnapshotMeta;
  } catch {
    throw new Refused('its header is damaged');
  }
  // The checksum vouches for the bytes, not for the writer: the shape is checked all the same.
  if (!wellFormed(meta)) throw new Refused('its header is damaged');
  if (meta.format !== FORMAT) throw new Refused(`it is in format ${String(meta.format)}, this version reads ${FORMAT}`);
  const users: UserChunk[] = [];
  const tokens: TokenChunk[] = [];
  const tableSlots: Int32Array[] = [];
  const end = size - 4;
  let at = 12 + metaLength;
  while (at < end) {
    if (at + 5 > end) throw new Refused('it is cut short');
    const kind = buf.readUInt8(at);
    const length = buf.readUInt32BE(at + 1);
    if ((kind !== USERS && kind !== TOKENS && kind !== TABLE) || at + 5 + length > end) throw new Refused(`it is damaged at byte ${at}`);
    if (kind === TABLE) {
      const slots = tableAt(buf, at + 5, length, tableSlots.length);
      if (!slots) throw new Refused(`it is damaged at byte ${at} (a table)`);
      tableSlots.push(slots);
      at += 5 + length;
      continue;
    }
    try {
      if (kind === USERS) users.push(readUserChunk(buf, at + 5, at + 5 + length));
      else tokens.push(readTokenChunk(buf, at + 5, at + 5 + length));
    } catch (error) {
      if (error instanceof ColumnsDamaged) throw new Refused(`it is damaged at byte ${at} (${error.message})`);
      throw error;
    }
    at += 5 + length;
  }
  let base: MemoryBase;
  try {
    const saved: SavedTables | null = meta.tables && tableSlots.length === TABLE_COUNT ? { ...meta.tables, slots: tableSlots } : null;
    base = MemoryBase.fromChunks(users, tokens, saved);
  } catch (error) {
    if (error instanceof ColumnsDamaged) throw new Refused(`it is damaged (${error.message})`);
    throw error;
  }
  if (base.userSlots !== meta.users || base.tokenSlots !== meta.tokens) {
    throw new Refused(
      `it holds ${base.userSlots} users and ${base.tokenSlots} tokens where its header says ${meta.users} and ${meta.tokens}`,
    );
  }
  const checkpoints = meta.checkpoints.map(
    ([name, commit, prepare]) => [name, { commit: BigInt(commit), prepare: BigInt(prepare) }] as const,
  );
  const state: MemoryState = { base, users: [], tokens: [], checkpoints, maxIntegerId: meta.maxIntegerId };
  return { meta, state, bytes: size };
}

/** The slots of the table section at buf[start, start + length), the `expected`-th; null when it is not one. */
function tableAt(buf: Buffer, start: number, length: number, expected: number): Int32Array | null {
  if (length < 2 || buf.readUInt8(start) !== expected || expected >= TABLE_COUNT) return null;
  const from = start + 2 + buf.readUInt8(start + 1);
  const bytes = length - (from - start);
  if (bytes < 0 || bytes % 4 !== 0) return null;
  // In place where the bytes are aligned (the file's buffer is its own, so they are), else copied.
  const slots =
    (buf.byteOffset + from) % 4 === 0
      ? new Int32Array(buf.buffer, buf.byteOffset + from, bytes / 4)
      : new Int32Array(new Uint8Array(buf.subarray(from, from + bytes)).buffer);
  if (!LITTLE_ENDIAN) Buffer.from(slots.buffer, slots.byteOffset, slots.byteLength).swap32();
  return slots;
}

function wellFormed(meta: SnapshotMeta): boolean {
  const count = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  const decimal = (s: unknown) => typeof s === 'string' && /^\d{1,20}$/.test(s);
  return (
    typeof meta === 'object' &&
    meta !== null &&
    typeof meta.fingerprint === 'string' &&
    (meta.logId === null || typeof meta.logId === 'string') &&
    Array.isArray(meta.position) &&
    meta.position.length === 2 &&
    meta.position.every(decimal) &&
    typeof meta.eventId === 'string' &&
    Array.isArray(meta.checkpoints) &&
    meta.checkpoints.every((c) => Array.isArray(c) && c.length === 3 && typeof c[0] === 'string' && decimal(c[1]) && decimal(c[2])) &&
    [meta.maxIntegerId, meta.users, meta.tokens].every(count) &&
    (meta.tables === null || (typeof meta.tables === 'object' && [meta.tables.seed, meta.tables.users, meta.tables.tokens].every(count)))
  );
}

// ---------------------------------------------------------------------------------------------------------------
// What the snapshot is of

const HERE = path.dirname(fileURLToPath(import.meta.url));
let fingerprint: Promise<string> | undefined;

/**
 * A fingerprint of the code that decides what the read model holds: the event registry and upcasters
 * (src/events), the projections, this model and its port, the normalisation of keys. Any change to them (an
 * upgrade) makes older snapshots stale: the next start replays the whole log once. Computed once per process.
 */
export function projectionFingerprint(): Promise<string> {
  fingerprint ??= (async () => {
    const hash = createHash('sha256').update(`read-model-snapshot/${FORMAT}\n`);
    const code = (name: string) => /\.(ts|js)$/.test(name) && !name.endsWith('.d.ts');
    const files: string[] = [];
    for (const [dir, wanted] of [
      ['../events', (n: string) => code(n)],
      ['../projections', (n: string) => code(n) && (n.includes('.projection.') || n.startsWith('projection.'))],
      ['.', (n: string) => code(n) && /^(memory|port)\./.test(n)],
      ['../commands', (n: string) => code(n) && n.startsWith('normalize.')],
    ] as const) {
      const names = (await readdir(path.join(HERE, dir)).catch(() => [] as string[])).filter(wanted).sort();
      files.push(...names.map((n) => path.join(HERE, dir, n)));
    }
    for (const file of files) hash.update(`${path.relative(HERE, file)}\n`).update(await readFile(file));
    return hash.digest('hex').slice(0, 32);
  })();
  return fingerprint;
}
