// Operator commands on a log directory. check() only reads (it is safe beside a running service); repair() cuts the
// log at an offset the operator names, after keeping a copy of the whole file, and only with the writer's lock.
import { constants } from 'node:fs';
import { chmod, copyFile, open, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { PRIVATE_FILE_MODE } from '../../data-dir.js';
import { syncDir } from './files.js';
import { LOCK_FILE, LOG_FILE, SNAPSHOT_FILE, v2, type Codec } from './format.js';
import { v1 } from './format-v1.js';
import { identifyOpen } from './load.js';
import { acquireLock } from './lock.js';
import { LogIndex } from './log-index.js';
import { scanLog, type Problem } from './scan.js';
import { loadSnapshot } from './snapshot.js';

export interface CheckReport {
  readonly path: string;
  readonly format: 'missing' | 'empty' | 1 | 2;
  readonly size: number;
  /** Sound records and their events, up to the first problem. */
  readonly records: number;
  readonly events: number;
  readonly streams: number;
  /** Just past the last sound record: cutting the log here keeps exactly the sound records. */
  readonly lastGoodOffset: number;
  /** The first record that is not sound. */
  readonly problem?: Problem;
  /** What opening the log for writing would do. */
  readonly verdict: 'ok' | 'drops-torn-tail' | 'refuses';
  readonly snapshot: { readonly state: 'missing' | 'valid' | 'ignored'; readonly detail?: string; readonly ackedEnd?: number };
}

/** Reads the whole log, checking every record (checksums, order, and that each body decodes). Never writes. */
export async function checkEmbeddedLog(dir: string): Promise<CheckReport> {
  const path = join(dir, LOG_FILE);
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return {
      path,
      format: 'missing',
      size: 0,
      records: 0,
      events: 0,
      streams: 0,
      lastGoodOffset: 0,
      verdict: 'ok',
      snapshot: { state: 'missing' },
    };
  }
  try {
    const format = await identifyOpen(file);
    const base = { path, size: format.size };
    if (format.format === 'empty') {
      return {
        ...base,
        format: 'empty',
        records: 0,
        events: 0,
        streams: 0,
        lastGoodOffset: 0,
        verdict: 'ok',
        snapshot: { state: 'missing' },
      };
    }
    if (format.format === 'damaged') {
      const problem: Problem = { offset: 0, kind: 'bad-header', detail: format.detail, torn: false };
      return {
        ...base,
        format: 2,
        records: 0,
        events: 0,
        streams: 0,
        lastGoodOffset: 0,
        problem,
        verdict: 'refuses',
        snapshot: { state: 'missing' },
      };
    }
    const codec: Codec = format.format === 'v1' ? v1 : v2;
    const found = format.format === 'v2' ? await loadSnapshot(dir, format.logId, codec.dataStart) : undefined;
    const snapshot: CheckReport['snapshot'] = !found
      ? { state: 'missing' }
      : 'ignored' in found
        ? { state: 'ignored', detail: found.ignored }
        : { state: 'valid', ackedEnd: found.ackedEnd };
    const index = new LogIndex(codec.dataStart);
    const result = await scanLog(
      file,
      codec,
      codec.dataStart,
      format.size,
      (at, record, buf, bufAt) => {
        const refused = index.add(at, record);
        if (refused) return { kind: 'out-of-order', detail: refused };
        try {
          codec.decode(buf, bufAt, record.length);
        } catch (err) {
          return { kind: 'bad-body', detail: `the record does not decode (${(err as Error).message})` };
        }
        return undefined;
      },
      { ackedEnd: snapshot.ackedEnd ?? 0 },
    );
    return {
      ...base,
      format: codec.version,
      records: index.records,
      events: index.events,
      streams: index.streams.size,
      lastGoodOffset: result.end,
      ...(result.problem ? { problem: result.problem } : {}),
      verdict: !result.problem ? 'ok' : result.problem.torn ? 'drops-torn-tail' : 'refuses',
      snapshot,
    };
  } finally {
    await file.close();
  }
}

export interface RepairResult {
  /** The copy of the whole log as it was before the cut. */
  readonly backup: string;
  readonly cutAt: number;
  readonly removedBytes: number;
  readonly before: CheckReport;
  readonly after: CheckReport;
}

/**
 * Cuts the log at `cutAt`, which must be a record boundary at or before the last good offset (see check), after
 * copying the whole log to `events.log.backup-<time>` beside it. Takes the writer's lock, so it refuses to run
 * while a service has the log open. The index snapshot describes the uncut log, so it is removed.
 */
export async function repairEmbeddedLog(
  dir: string,
  options: { readonly cutAt: number; readonly warn?: (m: string) => void },
): Promise<RepairResult> {
  const { cutAt } = options;
  if (!Number.isSafeInteger(cutAt) || cutAt < 0) throw new RangeError('repair needs cutAt: the byte offset to cut the log at');
  const lock = await acquireLock(join(dir, LOCK_FILE), options.warn ?? ((m) => console.warn(m)));
  try {
    const before = await checkEmbeddedLog(dir);
    if (before.format === 'missing' || before.format === 'empty')
      throw new Error(`embedded event store: there is no log to repair in ${dir}`);
    if (before.format === 2 && before.problem?.offset === 0) {
      throw new Error(`embedded event store: ${before.path}: the file header is damaged; restore the log from a backup`);
    }
    if (cutAt > before.lastGoodOffset) {
      throw new RangeError(
        `embedded event store: cannot cut ${before.path} at byte ${cutAt}: past the last sound record, which ends at byte ${before.lastGoodOffset}`,
      );
    }
    if (!(await isBoundary(dir, before, cutAt))) {
      throw new RangeError(`embedded event store: cannot cut ${before.path} at byte ${cutAt}: not where a record starts`);
    }
    const backup = `${before.path}.backup-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(before.path, backup, constants.COPYFILE_EXCL);
    await chmod(backup, PRIVATE_FILE_MODE); // a copy of the log: as private as the log
    const copy = await open(backup, 'r');
    await copy.sync().finally(() => copy.close());
    await unlink(join(dir, SNAPSHOT_FILE)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await truncate(before.path, cutAt);
    const log = await open(before.path, 'r+');
    await log.datasync().finally(() => log.close());
    await syncDir(dir);
    return { backup, cutAt, removedBytes: before.size - cutAt, before, after: await checkEmbeddedLog(dir) };
  } finally {
    await lock.release();
  }
}

/** Whether `cutAt` is the start of the data, the start of a sound record, or the end of the last one. */
async function isBoundary(dir: string, report: CheckReport, cutAt: number): Promise<boolean> {
  const codec = report.format === 1 ? v1 : v2;
  if (cutAt === codec.dataStart || cutAt === report.lastGoodOffset) return true;
  if (cutAt < codec.dataStart) return false;
  const file = await open(join(dir, LOG_FILE), 'r');
  try {
    let boundary = false;
    await scanLog(file, codec, codec.dataStart, report.lastGoodOffset, (at, record) => {
      if (at + record.length === cutAt) boundary = true;
      return at + record.length >= cutAt ? { kind: 'out-of-order', detail: 'stop' } : undefined;
    });
    return boundary;
  } finally {
    await file.close();
  }
}
