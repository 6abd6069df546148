// Start-up in about a second on a big log: the in-memory read model is loaded from its snapshot (snapshot.ts) before
// the projection runner starts, so the runner replays only the log after the snapshot's checkpoint. The snapshot is
// used only if it is of this log (the embedded log's id, and the log still holds the snapshot's last event at its
// position: not another log, not past this log's end) and of this code (the projections' fingerprint); otherwise,
// or with FULL_REPLAY, the whole log is replayed, and one log line says why.
//
// Snapshots are written at close (after the runner stopped, so exactly at its last event) and while running, every
// `everyEvents` events or `everySeconds` seconds, whichever comes first, from a timer: never inside a request, and
// in chunks that yield to requests between them. A snapshot left by `authstream rebuild` (REBUILT_SNAPSHOT_FILE) is
// preferred at the next start, once; it then becomes the service's own.
import { rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { comparePositions, type EventStore, type Position } from '../store/port.js';
import type { MemoryReadModel } from './memory.js';
import { READ_MODEL_CHECKPOINT } from './port.js';
import {
  positionOf,
  projectionFingerprint,
  READ_MODEL_SNAPSHOT_FILE,
  readReadModelSnapshot,
  REBUILT_SNAPSHOT_FILE,
  removeSnapshotLeftovers,
  writeReadModelSnapshot,
  type LoadedSnapshot,
  type RefusedSnapshot,
  type SnapshotMeta,
} from './snapshot.js';

export { READ_MODEL_CHECKPOINT };

export interface SnapshotSettings {
  /** DATA_DIR: where the snapshot files live. */
  readonly dir: string;
  readonly model: MemoryReadModel;
  /** The log the model is a projection of (reads only: the event at the snapshot's position). */
  readonly store: EventStore;
  /** The embedded log's id; null for a store without one (EventStoreDB). */
  readonly logId: string | null;
  readonly log: Logger;
  /** Ignore any snapshot: replay the whole log (FULL_REPLAY). */
  readonly fullReplay?: boolean;
  /** Write a snapshot after this many events (on the embedded log, where positions count events); 0: never for that. */
  readonly everyEvents?: number;
  /** Write a snapshot this often while events arrive; 0: never for that. */
  readonly everySeconds?: number;
  /** The snapshot files, read already (readSnapshotFiles, started while the log opened). */
  readonly preread?: Promise<SnapshotFiles>;
}

/** The snapshot a start would use, read and checksummed but not yet checked against the log. */
export interface SnapshotFiles {
  readonly file: string;
  /** It is the one `authstream rebuild` left. */
  readonly rebuilt: boolean;
  readonly found: LoadedSnapshot | RefusedSnapshot | undefined;
  readonly milliseconds: number;
}

/** Reads the rebuilt snapshot if there is one, else the service's own. */
export async function readSnapshotFiles(dir: string): Promise<SnapshotFiles> {
  const started = performance.now();
  const rebuiltFile = path.join(dir, REBUILT_SNAPSHOT_FILE);
  const rebuilt = await readReadModelSnapshot(rebuiltFile);
  const [file, found] = rebuilt
    ? [rebuiltFile, rebuilt]
    : [path.join(dir, READ_MODEL_SNAPSHOT_FILE), await readReadModelSnapshot(path.join(dir, READ_MODEL_SNAPSHOT_FILE))];
  return { file, rebuilt: rebuilt !== undefined, found, milliseconds: performance.now() - started };
}

export interface ReadModelSnapshots {
  /** What start-up did: 'loaded' (from the snapshot or the rebuilt one) or why the whole log is replayed. */
  readonly startedFrom:
    | { readonly loaded: true; readonly meta: SnapshotMeta; readonly milliseconds: number }
    | { readonly loaded: false; readonly reason: string };
  /** Writes a snapshot now, if the model moved since the last one. */
  write(): Promise<void>;
  /** Stops the timer and writes the last snapshot (call after the projection runner stopped). */
  close(): Promise<void>;
}

/** The embedded log's id, when `store` is the embedded store (as opened, not wrapped). */
export function logIdOf(store: EventStore): string | null {
  const id = (store as { logIdentity?: unknown }).logIdentity;
  return typeof id === 'string' ? id : null;
}

/** Why `snapshot` cannot be used with this log and this code, or null when it can. */
export async function refusal(snapshot: LoadedSnapshot, store: EventStore, logId: string | null): Promise<string | null> {
  const { meta } = snapshot;
  if (meta.fingerprint !== (await projectionFingerprint())) {
    return 'it was written by another version of the read-model projections (an upgrade replays the log once)';
  }
  if (meta.logId !== logId) return `it was taken of another log (log id ${meta.logId ?? 'none'}; this log's is ${logId ?? 'none'})`;
  const at = positionOf(meta);
  let found: { id: string; position: Position } | undefined;
  for await (const event of store.readAll({ fromPosition: at, maxCount: 1 })) found = event;
  if (!found || comparePositions(found.position, at) !== 0) {
    return `it covers the log up to position ${meta.position[0]}, past the end of this log`;
  }
  if (found.id !== meta.eventId) {
    return `this log holds another event at its position ${meta.position[0]} (a log replaced or cut and written again)`;
  }
  return null;
}

/** Loads the snapshot into `model` (or says why not) and starts writing new ones. */
export async function openReadModelSnapshots(settings: SnapshotSettings): Promise<ReadModelSnapshots> {
  const { dir, model, store, logId, log } = settings;
  const mainFile = path.join(dir, READ_MODEL_SNAPSHOT_FILE);
  const rebuiltFile = path.join(dir, REBUILT_SNAPSHOT_FILE);
  await removeSnapshotLeftovers(dir);
  const startedFrom = await load();

  let written: Position | null = startedFrom.loaded ? positionOf(startedFrom.meta) : null;
  let writtenAt = Date.now();
  /** How long the last snapshot took to write. */
  let lastWriteMs = 0;
  let writing: Promise<void> | undefined;
  let closed = false;

  async function load(): Promise<ReadModelSnapshots['startedFrom']> {
    const replay = (reason: string, level: 'info' | 'warn' = 'warn'): ReadModelSnapshots['startedFrom'] => {
      log[level](`read model: replaying the whole log: ${reason}`, { reason });
      return { loaded: false, reason };
    };
    if (settings.fullReplay) return replay('FULL_REPLAY is set (or start --replay): the snapshot is not used', 'info');
    // A rebuilt model first: the operator asked for it. If it cannot be used, the whole log, not the old snapshot.
    const read = await (settings.preread ?? readSnapshotFiles(dir));
    const checking = performance.now();
    const { file, found } = read;
    const rebuilt = read.rebuilt;
    if (!found) return replay(`there is no read-model snapshot (${mainFile})`, 'info');
    const why = 'refused' in found ? found.refused : await refusal(found, store, logId);
    if (why !== null || 'refused' in found) {
      if (rebuilt) await unlink(rebuiltFile).catch(() => undefined);
      return replay(`the snapshot ${file} cannot be used: ${why}`);
    }
    model.restore(found.state);
    if (rebuilt) await rename(rebuiltFile, mainFile);
    // Reading it (which may have overlapped with opening the log) and checking it against the log.
    const milliseconds = read.milliseconds + performance.now() - checking;
    log.info(
      `read model: loaded ${rebuilt ? 'the rebuilt model (authstream rebuild)' : 'its snapshot'} in ${milliseconds.toFixed(0)} ms ` +
        `(${found.meta.users} users, ${found.meta.tokens} tokens, up to position ${found.meta.position[0]}); replaying the log after it`,
      {
        file,
        bytes: found.bytes,
        writtenAt: found.meta.writtenAt,
        source: found.meta.source,
        indexTables: found.state.base?.tablesSaved ? 'saved with it' : 'built from its rows',
      },
    );
    return { loaded: true, meta: found.meta, milliseconds };
  }

  /** Writes the model's state as of its checkpoint, unless nothing moved since the last snapshot. */
  async function writeNow(level: 'debug' | 'info'): Promise<void> {
    const state = model.capture();
    const at = state.checkpoints.find(([name]) => name === READ_MODEL_CHECKPOINT)?.[1];
    if (!at || (written && comparePositions(at, written) <= 0)) return;
    let eventId: string | undefined;
    for await (const event of store.readAll({ fromPosition: at, maxCount: 1 })) {
      if (comparePositions(event.position, at) === 0) eventId = event.id;
    }
    if (eventId === undefined) {
      log.warn(`read model: no snapshot written: the log has no event at the model's checkpoint ${String(at.commit)}`);
      return;
    }
    const { bytes, milliseconds, users, tokens } = await writeReadModelSnapshot(mainFile, state, {
      fingerprint: await projectionFingerprint(),
      logId,
      eventId,
      position: at,
      source: 'service',
    });
    written = at;
    writtenAt = Date.now();
    lastWriteMs = milliseconds;
    log[level](`read model: snapshot written in ${milliseconds.toFixed(0)} ms`, {
      file: mainFile,
      position: String(at.commit),
      users,
      tokens,
      bytes,
    });
  }

  function write(level: 'debug' | 'info' = 'debug'): Promise<void> {
    writing ??= writeNow(level).finally(() => (writing = undefined));
    return writing;
  }

  const everyEvents = settings.everyEvents ?? 0;
  const everyMs = (settings.everySeconds ?? 0) * 1000;
  const due = async (): Promise<boolean> => {
    const at = await model.loadCheckpoint(READ_MODEL_CHECKPOINT);
    if (!at || (written && comparePositions(at, written) <= 0)) return false;
    // A snapshot is of the whole model: while a big log replays, one every 50k events would be written back to back
    // (each longer than the last) and take most of the replay's time. At most a tenth of the time goes to them.
    if (Date.now() - writtenAt < 9 * lastWriteMs) return false;
    // Positions count events on the embedded log only (EventStoreDB's are bytes): there, every N events too.
    const events = logId !== null ? Number(at.commit - (written?.commit ?? 0n)) : 0;
    return (everyEvents > 0 && events >= everyEvents) || (everyMs > 0 && Date.now() - writtenAt >= everyMs);
  };
  const tick = async () => {
    if (closed || writing || !(await due()) || closed) return;
    await write();
  };
  const timer =
    everyEvents > 0 || everyMs > 0
      ? setInterval(
          () => void tick().catch((error: unknown) => log.warn('read model: could not write its snapshot', { error: String(error) })),
          1_000,
        )
      : undefined;
  timer?.unref();

  return {
    startedFrom,
    write: () => write('info'),
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await writing?.catch(() => undefined);
      await write('info').catch((error: unknown) =>
        log.warn('read model: could not write its snapshot at close', { error: String(error) }),
      );
    },
  };
}
