// The embedded default's account keys: every account's wrapped key in one file, DATA_DIR/keys/keyring (0600), one
// JSON line per account, appended. A file per account cost two fsyncs per new account (the file, its directory):
// 100k imported users spent minutes in them, and a replay opened 100k files. Here new keys that arrive together
// share one fdatasync (as the log's group commit), and a start reads the whole file once.
//
// Rules that keep it safe:
// - A key is durable before it is handed out: putIfAbsent resolves after the fdatasync covering its line, and get
//   waits for a line still being written. An event sealed with a key is never appended before the key is on disk.
// - The first line for an account wins. Several processes may append (O_APPEND places each write whole at the end):
//   after its fdatasync a writer reads the file up to its own line, so of two racing first keys both adopt the
//   earlier one. A line not ended by '\n' is a write in progress (or torn by a crash, so never acknowledged): it is
//   read again later, and never glued to: a writer that finds one starts its batch on a new line.
// - Erasing overwrites the account's lines in place, byte for byte, with an erasure mark of the same length, then
//   fdatasyncs: no rename, so a process appending meanwhile keeps writing to the same file, and the key's bytes are
//   in no live file afterwards. An account with no line (a key in a legacy file) gets a mark appended instead.
// - A process misses a key another process added since it last read: a miss reads the file's new lines first.
import { existsSync, fstatSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDir } from '../data-dir.js';
import type { WrappedKeys } from './account-keys.js';

type Entry = { wrapped: string } | { erased: true };
interface Line {
  readonly u: string;
  readonly k?: string;
  readonly erased?: true;
}

export async function keyringWrappedKeys(dir: string): Promise<WrappedKeys> {
  const file = path.join(dir, 'keyring');
  // Opened for reading when there is a file, for appending at the first key: a process that only reads (the audit
  // CLI beside the service) creates and changes nothing.
  let reader: FileHandle | null = null;
  let writer: FileHandle | null = null;
  const entries = new Map<string, Entry>();
  /** Accounts whose line is being written, with the promise of its fdatasync. */
  const syncing = new Map<string, Promise<void>>();
  /** How far the file has been read (always just after a '\n'), and whether what follows is an unended line. */
  let readUpTo = 0;
  let endsWithNewline = true;

  /** Reads the lines appended since the last read (the first line for an account wins); how many bytes it took. */
  let reading: Promise<number> = Promise.resolve(0);
  const readNew = (): Promise<number> => (reading = reading.catch(() => 0).then(readMore));
  async function readMore(): Promise<number> {
    if (!reader) {
      // No file yet (a log of plain events, from before erasure, asks at every account it replays): a synchronous
      // check costs microseconds, a failed open on the thread pool a round trip each.
      if (!existsSync(file)) return 0;
      try {
        reader = await open(file, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
        throw error;
      }
    }
    // A miss asks this for every new account: a synchronous fstat costs microseconds, a thread-pool round trip more.
    const size = fstatSync(reader.fd).size;
    if (size <= readUpTo) return 0;
    const buf = Buffer.allocUnsafe(size - readUpTo);
    const { bytesRead } = await reader.read(buf, 0, buf.length, readUpTo);
    const complete = buf.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
    endsWithNewline = complete === bytesRead;
    for (const raw of buf.toString('utf8', 0, complete).split('\n')) {
      const line = parse(raw);
      if (line && !entries.has(line.u)) entries.set(line.u, line.erased ? { erased: true } : { wrapped: line.k! });
    }
    readUpTo += complete;
    return complete;
  }

  /** The append handle, the file and its directory made (0700, 0600) at the first write. */
  async function writable(): Promise<FileHandle> {
    if (!writer) {
      await ensurePrivateDir(dir);
      writer = await open(file, 'a', 0o600);
      await writer.chmod(0o600);
    }
    return writer;
  }

  // Group commit: lines queued while a batch is being written go into the next one.
  let next: { lines: string[]; done: Promise<void> } | null = null;
  let chain: Promise<void> = Promise.resolve();
  function append(line: string): Promise<void> {
    if (!next) {
      const batch = { lines: [] as string[], done: Promise.resolve() };
      batch.done = chain.then(async () => {
        next = null;
        const handle = await writable();
        await readNew(); // also tells whether another writer left a line unended
        await handle.appendFile((endsWithNewline ? '' : '\n') + batch.lines.join(''));
        await handle.datasync();
        await readNew(); // up to our own lines: an earlier line of another writer wins
      });
      chain = batch.done.catch(() => {});
      next = batch;
    }
    next.lines.push(line);
    return next.done;
  }

  /** What the file says of the account, read again on a miss; a line another process wrote is made durable first. */
  async function lookup(userId: string): Promise<Entry | null> {
    if (!entries.has(userId) && (await readNew()) > 0 && entries.has(userId)) await reader!.datasync();
    await syncing.get(userId);
    return entries.get(userId) ?? null;
  }

  await readNew();
  return {
    get: lookup,
    async putIfAbsent(userId, wrapped) {
      const have = await lookup(userId);
      if (have) return have;
      const durable = append(`${JSON.stringify({ u: userId, k: wrapped } satisfies Line)}\n`);
      syncing.set(userId, durable);
      try {
        await durable;
      } finally {
        if (syncing.get(userId) === durable) syncing.delete(userId);
      }
      return entries.get(userId)!; // ours, or a racing writer's earlier line
    },
    async erase(userId) {
      await chain; // no batch of ours in flight: every line of the account is in the file
      await readNew();
      const lines = reader ? await linesOf(reader, userId) : [];
      if (lines.length === 0) await append(`${JSON.stringify({ u: userId, erased: true } satisfies Line)}\n`);
      else {
        // Not through the append handle: with O_APPEND, Linux writes at the end whatever the offset.
        const inPlace = await open(file, 'r+');
        try {
          for (const { offset, length } of lines) await inPlace.write(erasureMark(userId, length), 0, length, offset);
          await inPlace.datasync();
        } finally {
          await inPlace.close();
        }
      }
      entries.set(userId, { erased: true });
    },
    async close() {
      await chain;
      await reader?.close();
      await writer?.close();
    },
  };
}

function parse(raw: string): Line | null {
  if (raw === '') return null;
  try {
    const line = JSON.parse(raw) as Line;
    return typeof line.u === 'string' && (typeof line.k === 'string' || line.erased === true) ? line : null;
  } catch {
    return null; // not one of ours (damage): its account reads as having no key, which its events then report
  }
}

/** Where the account's lines are (a second one only after a race between processes). */
async function linesOf(handle: FileHandle, userId: string): Promise<{ offset: number; length: number }[]> {
  const size = (await handle.stat()).size;
  const buf = Buffer.allocUnsafe(size);
  await handle.read(buf, 0, size, 0);
  const found: { offset: number; length: number }[] = [];
  for (let at = 0; at < buf.length;) {
    const end = buf.indexOf(0x0a, at);
    if (end === -1) break;
    if (parse(buf.toString('utf8', at, end))?.u === userId) found.push({ offset: at, length: end - at });
    at = end + 1;
  }
  return found;
}

/** `{"u":…,"erased":true,"x":"---"}` padded to exactly `length` bytes (a key's line is always long enough). */
function erasureMark(userId: string, length: number): Buffer {
  const bare = Buffer.byteLength(JSON.stringify({ u: userId, erased: true, x: '' }));
  const mark = JSON.stringify({ u: userId, erased: true, x: '-'.repeat(Math.max(0, length - bare)) });
  if (Buffer.byteLength(mark) !== length) throw new Error(`keyring: no erasure mark fits a line of ${length} bytes`);
  return Buffer.from(mark);
}
