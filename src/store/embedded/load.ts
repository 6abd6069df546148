// Building the in-memory index of a log at open: from the index snapshot when there is a sound one of this log,
// then scanning only what was written after it; else by scanning the whole log.
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SegmentChecksums } from './checksums.js';
import type { Codec, FileFormat } from './format.js';
import { FILE_HEADER_BYTES, identify, LOG_FILE } from './format.js';
import { LogIndex } from './log-index.js';
import { readFully, scanLog, type Problem, type Sink } from './scan.js';
import { loadSnapshot } from './snapshot.js';
import { firstMismatch, type Range } from './verify.js';

export interface LoadedIndex {
  readonly index: LogIndex;
  /** The first record that is not sound, if any; the index ends before it. */
  readonly problem?: Problem;
  /** 'loaded', 'missing', or why the snapshot was not used. */
  readonly snapshot: string;
  /** Bytes of log scanned (the rest came from the snapshot). */
  readonly scannedBytes: number;
}

export const indexSink =
  (index: LogIndex): Sink =>
  (at, record) => {
    const refused = index.add(at, record);
    return refused ? { kind: 'out-of-order', detail: refused } : undefined;
  };

/** What a log file is, from its first bytes; undefined if it does not exist. */
export async function inspectLog(path: string): Promise<(FileFormat & { size: number }) | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return await identifyOpen(file);
  } finally {
    await file.close();
  }
}

export async function identifyOpen(file: FileHandle): Promise<FileFormat & { size: number }> {
  const size = (await file.stat()).size;
  const head = Buffer.alloc(FILE_HEADER_BYTES);
  const got = await readFully(file, head, 0, FILE_HEADER_BYTES, 0);
  return { ...identify(head.subarray(0, got), size), size };
}

export interface LoadOptions {
  /** Rebuild the index from the log itself, checking every record, even with a usable snapshot. */
  readonly fullScan?: boolean;
  /** 'tail': do not check the bytes a usable snapshot covers at open (reads still check every record they read). */
  readonly verify?: 'all' | 'tail';
  readonly warn: (m: string) => void;
}

export async function loadIndex(
  dir: string,
  file: FileHandle,
  codec: Codec,
  logId: Buffer | undefined,
  size: number,
  options: LoadOptions,
): Promise<LoadedIndex> {
  // Checking the log against the snapshot's checksums (threads, for a big log) runs while the snapshot loads.
  let checking: Promise<Range | undefined> | undefined;
  const check = (checksums: SegmentChecksums) => {
    if (options.fullScan || options.verify === 'tail' || size < checksums.end) return;
    checking = firstMismatch(join(dir, LOG_FILE), checksums.ranges());
    checking.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
  };
  const found = logId ? await loadSnapshot(dir, logId, codec.dataStart, check) : undefined;
  // Whatever comes of the snapshot, no thread is left reading the log once open returns.
  const mismatch = await checking;
  let snapshot = 'missing';
  let ackedEnd = 0;
  let index = new LogIndex(codec.dataStart);
  if (found && 'ignored' in found) {
    snapshot = `ignored: ${found.ignored}`;
    options.warn(`embedded event store: not using the index snapshot in ${dir} (${found.ignored}); scanning the whole log`);
  } else if (found) {
    // Believed as to how far the log was durable in any case; used as the index only if the log still ends as it did.
    ackedEnd = found.ackedEnd;
    if (options.fullScan) snapshot = 'verified by a full scan';
    else if (size >= found.ackedEnd && (await lastRecordMatches(file, codec, found.index))) {
      const bad = mismatch;
      if (bad) {
        // The scan finds the record that is not sound and says where.
        snapshot = `ignored: bytes ${bad.start}..${bad.end} of the log do not match their checksum`;
        options.warn(
          `embedded event store: bytes ${bad.start}..${bad.end} of the log in ${dir} changed since they were written; scanning the whole log`,
        );
      } else {
        snapshot = 'loaded';
        index = found.index;
      }
    } else {
      snapshot = 'ignored: the log does not end as the snapshot recorded';
      options.warn(`embedded event store: the log in ${dir} does not end as its index snapshot recorded; scanning the whole log`);
    }
  }
  const from = index.end;
  const result = await scanLog(file, codec, from, size, indexSink(index), { ackedEnd, checksums: index.checksums });
  return { index, snapshot, scannedBytes: result.end - from, ...(result.problem ? { problem: result.problem } : {}) };
}

/** Whether the snapshot's last record is at its place in the log, sound and the same. */
async function lastRecordMatches(file: FileHandle, codec: Codec, index: LogIndex): Promise<boolean> {
  if (index.records === 0) return true;
  const r = index.records - 1;
  const offset = index.offset.get(r);
  const length = index.end - offset;
  const buf = Buffer.allocUnsafe(length);
  if ((await readFully(file, buf, 0, length, offset)) !== length) return false;
  const probe = codec.probe(buf, 0, length, length);
  return (
    probe.kind === 'record' && probe.length === length && probe.position === index.firstPosition.get(r) && probe.count === index.count(r)
  );
}
