// Opening the embedded event store: for writing (takes the directory's lock, creates or migrates the log, drops a
// torn last write) or read-only (no lock, no writes of any kind, stops before an unfinished last write).
import { randomBytes } from 'node:crypto';
import { open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir } from '../../data-dir.js';
import { EmbeddedLogDamagedError } from './errors.js';
import { writeFileAtomically } from './files.js';
import { encodeFileHeader, LOCK_FILE, LOG_FILE, SNAPSHOT_FILE, v2 } from './format.js';
import { v1 } from './format-v1.js';
import { identifyOpen, inspectLog, loadIndex } from './load.js';
import { acquireLock, type Lock } from './lock.js';
import { LogIndex } from './log-index.js';
import { migrateV1 } from './migrate.js';
import { EmbeddedEventStore, type StoreSettings } from './store.js';

export interface EmbeddedOptions {
  /** Where recovery warnings go (a dropped torn write, a stale lock, an unusable snapshot). Default console.warn. */
  readonly warn?: (message: string) => void;
  /**
   * Open without the lock and never write: for CLIs beside a running service. Reads see the writer's later appends
   * (each read and subscription looks at the file again); an unfinished last write is not read, and not an error.
   */
  readonly readOnly?: boolean;
  /** Records whose decoded events are kept for readStream (default 8192). */
  readonly cacheRecords?: number;
  /** Log bytes after which a new index snapshot is written, at least (default 64 MiB; also written at close). */
  readonly snapshotBytes?: number;
  /** How often a read-only subscription that is caught up looks for new appends (default 200 ms). */
  readonly pollMs?: number;
  /** Rebuild the index by scanning the whole log at open even if a snapshot could be used (~0.3 s per 1M events). */
  readonly fullScan?: boolean;
  /**
   * 'all' (default): a warm open checks every byte the snapshot covers against the snapshot's segment checksums,
   * so damage anywhere stops the open (~1 GB/s a core). 'tail': trust the snapshot for those bytes; damage there is
   * then found when the records are read (every read checks its records), for very big logs on slow disks.
   */
  readonly verify?: 'all' | 'tail';
}

export async function openEmbeddedEventStore(dir: string, options: EmbeddedOptions = {}): Promise<EmbeddedEventStore> {
  const started = performance.now();
  const settings: StoreSettings = {
    dir,
    path: join(dir, LOG_FILE),
    warn: options.warn ?? ((m: string) => console.warn(m)),
    cacheRecords: options.cacheRecords ?? 8192,
    snapshotBytes: options.snapshotBytes ?? 64 * 1024 * 1024,
    pollMs: options.pollMs ?? 200,
  };
  return options.readOnly ? openReader(settings, options, started) : openWriter(settings, options, started);
}

async function openWriter(settings: StoreSettings, options: EmbeddedOptions, started: number): Promise<EmbeddedEventStore> {
  const { dir, path, warn } = settings;
  // 0700, like everything under DATA_DIR (the log holds password hashes and token digests).
  await ensurePrivateDir(dir);
  const lock: Lock = await acquireLock(join(dir, LOCK_FILE), warn);
  let file: FileHandle | undefined;
  try {
    await removeLeftovers(dir);
    const before = await inspectLog(path);
    if (!before || before.format === 'empty') await writeFileAtomically(dir, path, encodeFileHeader(randomBytes(16)));
    else if (before.format === 'v1') await migrateV1(dir, warn);
    file = await open(path, 'r+');
    const format = await identifyOpen(file);
    if (format.format !== 'v2') {
      const detail = format.format === 'damaged' ? format.detail : `unexpected ${format.format} log`;
      throw new EmbeddedLogDamagedError(path, { offset: 0, kind: 'bad-header', detail, torn: false }, 'opening');
    }
    const loaded = await loadIndex(dir, file, v2, format.logId, format.size, { ...options, warn });
    let droppedBytes = 0;
    if (loaded.problem) {
      const { problem } = loaded;
      if (!problem.torn) throw new EmbeddedLogDamagedError(path, problem, 'opening');
      droppedBytes = format.size - problem.offset;
      warn(
        `embedded event store: ${path}: dropping a torn last write at byte ${problem.offset} (${problem.detail}; ` +
          `${droppedBytes} bytes); appends are acknowledged only once durable, so it never was`,
      );
      await file.truncate(problem.offset);
      await file.datasync();
    }
    const store = new EmbeddedEventStore(
      settings,
      file,
      v2,
      loaded.index,
      format.logId,
      {
        readOnly: false,
        format: 2,
        snapshot: loaded.snapshot,
        scannedBytes: loaded.scannedBytes,
        droppedBytes,
        milliseconds: performance.now() - started,
      },
      lock,
      loaded.snapshot === 'loaded' ? loaded.index.end - loaded.scannedBytes : -1,
    );
    // A long scan is worth not doing again: snapshot now rather than after the next 64 MiB of appends.
    if (loaded.scannedBytes >= 4 * 1024 * 1024) {
      store.snapshot().catch((err: unknown) => warn(`embedded event store: could not write the index snapshot: ${String(err)}`));
    }
    return store;
  } catch (err) {
    await file?.close();
    await lock.release();
    throw err;
  }
}

/** Temporary files a crash can leave behind: snapshots being written, a log being created or migrated. */
async function removeLeftovers(dir: string): Promise<void> {
  const leftover = (name: string) =>
    (name.startsWith(`${SNAPSHOT_FILE}.`) && name.endsWith('.tmp')) || name === `${LOG_FILE}.new` || name === `${LOG_FILE}.migrating`;
  for (const name of await readdir(dir)) if (leftover(name)) await unlink(join(dir, name)).catch(() => undefined);
}

async function openReader(settings: StoreSettings, options: EmbeddedOptions, started: number): Promise<EmbeddedEventStore> {
  const { dir, path, warn } = settings;
  let file: FileHandle | undefined;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const report = (format: 1 | 2 | 'none', snapshot: string, scannedBytes: number) => ({
    readOnly: true,
    format,
    snapshot,
    scannedBytes,
    droppedBytes: 0,
    milliseconds: performance.now() - started,
  });
  // No log yet (or an empty file): an empty store, which looks for the log again when read.
  const empty = () =>
    new EmbeddedEventStore(settings, undefined, v2, new LogIndex(v2.dataStart), undefined, report('none', 'missing', 0), undefined, -1);
  if (!file) return empty();
  try {
    const format = await identifyOpen(file);
    if (format.format === 'empty') {
      await file.close();
      return empty();
    }
    if (format.format === 'damaged') {
      throw new EmbeddedLogDamagedError(path, { offset: 0, kind: 'bad-header', detail: format.detail, torn: false }, 'opening');
    }
    const codec = format.format === 'v1' ? v1 : v2;
    const logId = format.format === 'v2' ? format.logId : undefined;
    const loaded = await loadIndex(dir, file, codec, logId, format.size, { ...options, warn });
    // At the end of the file an unfinished write is normal while the writer runs; damage before the end is not.
    if (loaded.problem && (loaded.problem.validRecordAt !== undefined || loaded.problem.kind === 'missing-acknowledged')) {
      throw new EmbeddedLogDamagedError(path, loaded.problem, 'opening');
    }
    if (loaded.problem && !loaded.problem.torn) {
      warn(`embedded event store: reading ${path} up to byte ${loaded.problem.offset} only: ${loaded.problem.detail}`);
    }
    return new EmbeddedEventStore(
      settings,
      file,
      codec,
      loaded.index,
      logId,
      report(codec.version, loaded.snapshot, loaded.scannedBytes),
      undefined,
      -1,
    );
  } catch (err) {
    await file.close();
    throw err;
  }
}

/** The id in the log's file header (hex): what snapshots of projections of this log record. Null: no log, or version 1. */
export async function readEmbeddedLogId(dir: string): Promise<string | null> {
  let file: FileHandle;
  try {
    file = await open(join(dir, LOG_FILE), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const format = await identifyOpen(file);
    return format.format === 'v2' ? format.logId.toString('hex') : null;
  } finally {
    await file.close();
  }
}
