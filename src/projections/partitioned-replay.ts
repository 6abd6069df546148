// A full replay of the embedded log into the in-memory read model straight from the file (#12: ≥ 200k events/s),
// on two threads for logs of SHARED_REPLAY_EVENTS to SHARED_REPLAY_MAX_EVENTS, else on this one. A replay is
// CPU-bound (decoding, opening personal data, projecting), and every account's projection reads and writes only
// that account's documents: so the accounts are split in two shares by stream (partition.ts), a worker
// thread projects one share into a model of its own while this thread projects the other, and the worker's model
// comes back as encoded chunks (the columns of a snapshot), joined with this thread's into one base.
// Each account sees its own events in log order, so each document is what a serial replay makes of it; the indexes
// are functions of the documents; the checkpoint is the last account event (the runner reads what follows it, which
// it passes over, as a serial replay does). Across shares nothing is shared but the unique keys: a username or
// token hash held in both shares stops the merge. Anything that goes wrong (a damaged record, an unreadable event,
// a clash, a worker that cannot start) leaves the model empty and returns 0: the read-model runner then replays
// the log through the store and reports what it finds as it always has.
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AccountKeyStore } from '../erasure/account-keys.js';
import type { KeyConfig } from '../erasure/open.js';
import { personalDataReader } from '../erasure/personal-data-store.js';
import type { Logger } from '../log.js';
import { flaggedChunksOf, layoutOf, MemoryBase, type Chunks } from '../readmodel/memory-base.js';
import { createMemoryReadModel, type MemoryReadModel, type MemoryState } from '../readmodel/memory.js';
import { READ_MODEL_CHECKPOINT } from '../readmodel/port.js';
import { encodeTokenChunk, encodeUserChunk, readTokenChunk, readUserChunk } from '../readmodel/snapshot-columns.js';
import { v2 } from '../store/embedded/format.js';
import { shareRecords } from '../store/embedded/partition.js';
import type { EmbeddedEventStore } from '../store/embedded/store.js';
import { comparePositions, type Position } from '../store/port.js';
import { USER_STREAM_PREFIX } from '../events/user.events.js';
import { readModelProjection } from './read-model.projection.js';

/**
 * Below this many events the worker's start and the merge cost more than the share saves: measured on 2 cores, a
 * replay on two threads took ~0.3 s more than half the serial one (100k events: 0.71 s, serial 0.47 s; 1M: 3.8 s,
 * serial 5.1 s), so they break even near 200k.
 */
export const SHARED_REPLAY_EVENTS = 500_000;

/**
 * Above this many, one thread: the second thread's heap and model cost ~150–200 MB more at the peak of a 10M-event
 * replay (the service peaked at 971–1,038 MiB on two threads, 801–871 on one), past the 1 GB that size must stay
 * under; at 1M the peak stays ~320 MiB.
 */
export const SHARED_REPLAY_MAX_EVENTS = 5_000_000;

/** Where the worker finds the account keys: what openAccountKeys needs (with the memory model, never MongoDB). */
export interface KeySource {
  readonly config: KeyConfig;
  readonly secretKey: string;
}

/** What the worker is given: the log's extent (version 2), its share, and where the keys are (null: none). */
export interface ShareTask {
  readonly path: string;
  readonly end: number;
  readonly shares: number;
  readonly share: number;
  readonly keys: KeySource | null;
}

/** A share's model as the worker sends it back: its base's whole chunks, encoded (dead rows flagged), and its facts. */
export interface EncodedShare {
  readonly users: readonly Uint8Array[];
  readonly tokens: readonly Uint8Array[];
  readonly maxIntegerId: number;
  readonly last: Position | null;
  readonly events: number;
  /** How long its share took the worker, and the encoding after it. */
  readonly shareMs: number;
  readonly encodeMs: number;
}

export type ShareReply = ({ readonly ok: true } & EncodedShare) | { readonly ok: false; readonly error: string };

const USER_STREAM_BYTES = Buffer.from(USER_STREAM_PREFIX);
/** isUserStream on the id's bytes. */
function isUserStreamId(id: Uint8Array): boolean {
  if (id.length < USER_STREAM_BYTES.length) return false;
  for (let i = 0; i < USER_STREAM_BYTES.length; i++) if (id[i] !== USER_STREAM_BYTES[i]) return false;
  return true;
}

/**
 * Projects one share of the log into `model`; returns the last event it projected (the events of other streams
 * after it are read again by the runner, which passes over them) and how many it read.
 */
export async function projectShare(
  model: MemoryReadModel,
  task: ShareTask,
  keys: AccountKeyStore | null,
): Promise<{ last: Position | null; events: number }> {
  const open = keys ? personalDataReader(keys).open : null;
  const project = readModelProjection(model);
  let last: Position | null = null;
  let count = 0;
  // Only account streams: the read model projects nothing else (readModelProjection passes over the others).
  const streams = { ...task, streams: isUserStreamId };
  for await (const events of shareRecords({ path: task.path, codec: v2, end: task.end }, streams)) {
    for (const recorded of events) {
      const opened = open ? open(recorded) : recorded;
      const event = opened instanceof Promise ? await opened : opened;
      // The shares are disjoint only if every account event is about its stream's account, as the deciders write them
      // (only account streams reach here: `streams` above).
      const about = event.data.userId;
      if (typeof about === 'string' && about !== event.streamId.slice(USER_STREAM_PREFIX.length)) {
        throw new Error(`${event.streamId}@${event.revision} is about another account (${about})`);
      }
      last = event.position;
      count++;
      const handled = project(event);
      if (handled !== undefined) await handled;
    }
  }
  return { last, events: count };
}

/** A model's whole state as whole chunks (its maps folded into its base first): what the worker sends back. */
export function encodeShare(state: MemoryState): Pick<EncodedShare, 'users' | 'tokens' | 'maxIntegerId'> {
  const base = state.base ? state.base.extendedWith(state.users, state.tokens) : MemoryBase.of(state.users, state.tokens);
  const { users, tokens } = base.wholeChunks();
  return { users: users.map((c) => encodeUserChunk(c)), tokens: tokens.map((c) => encodeTokenChunk(c)), maxIntegerId: state.maxIntegerId };
}

/** The chunks of an encoded share, checked as a snapshot's are. */
export function chunksOfShare(share: Pick<EncodedShare, 'users' | 'tokens'>): Chunks {
  // Structured cloning hands back plain Uint8Arrays: the readers want Buffers over the same bytes.
  const bytes = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return {
    users: share.users.map((u) => readUserChunk(bytes(u), 0, u.byteLength)),
    tokens: share.tokens.map((u) => readTokenChunk(bytes(u), 0, u.byteLength)),
  };
}

/**
 * This thread's model with the worker's share beside it: both as one base, neither's rows made objects (joined),
 * and the last account event of the log as the checkpoint. Throws where they cannot be one model (a clash).
 */
export function mergeShares(model: MemoryReadModel, theirs: EncodedShare, mine: { last: Position | null }): void {
  const state = model.capture();
  // Neither side's rows become objects, nor are their tables built: only the joined base's (at 10M events the
  // extended-with-objects merge had peaked 500 MB higher).
  const joined = MemoryBase.joined(chunksOfShare(theirs), flaggedChunksOf(layoutOf(state.base, state.users, state.tokens)));
  if ('clash' in joined) throw new Error(joined.clash);
  const last = [mine.last, theirs.last]
    .filter((p): p is Position => p !== null)
    .sort(comparePositions)
    .at(-1);
  model.restore({
    base: joined,
    users: [],
    tokens: [],
    checkpoints: last ? [[READ_MODEL_CHECKPOINT, last]] : [],
    maxIntegerId: Math.max(state.maxIntegerId, theirs.maxIntegerId),
  });
}

export interface SharedReplayOptions {
  readonly model: MemoryReadModel;
  readonly store: EmbeddedEventStore;
  /** The keys this thread opens personal data with, and where the worker finds them; null: the log holds none. */
  readonly keys: { readonly store: AccountKeyStore; readonly source: KeySource } | null;
  readonly log: Logger;
  /** Tests lower it. */
  readonly minEvents?: number;
}

/**
 * Replays the whole log into the (empty) model: on two threads when its size is in the range where that pays (and
 * fits) and the machine has two cores, else on this one.
 * How many threads replayed it (the model then holds the log up to its checkpoint), or 0: not tried, or given up
 * (the model is empty again, for the runner).
 */
export async function replayInShares(options: SharedReplayOptions): Promise<0 | 1 | 2> {
  const { model, store, keys, log } = options;
  const events = store.index.events;
  if (store.codec.version !== 2 || events === 0) return 0;
  const worthIt = events >= (options.minEvents ?? SHARED_REPLAY_EVENTS) && events <= SHARED_REPLAY_MAX_EVENTS;
  if (!worthIt || availableParallelism() < 2) return replayOnOneThread(options);
  const started = performance.now();
  const task = (share: number): ShareTask => ({ path: store.path, end: store.index.end, shares: 2, share, keys: keys?.source ?? null });
  const worker = runWorker(task(1));
  try {
    const mine = await projectShare(model, task(0), keys?.store ?? null);
    const ownDone = performance.now();
    const theirs = await worker.reply;
    if (!theirs.ok) throw new Error(`the worker thread failed: ${theirs.error}`);
    const workerDone = performance.now();
    mergeShares(model, theirs, mine);
    const ms = (from: number, to: number) => Math.round(to - from);
    const seconds = (performance.now() - started) / 1000;
    log.info(`read model: replayed ${events} events on two threads in ${seconds.toFixed(2)} s`, {
      events,
      eventsPerSecond: Math.round(events / seconds),
      // Where the time went: this thread's share, the wait for the worker's, the merge.
      ownShareMs: ms(started, ownDone),
      workerShareMs: Math.round(theirs.shareMs),
      workerEncodeMs: Math.round(theirs.encodeMs),
      waitMs: ms(ownDone, workerDone),
      mergeMs: ms(workerDone, performance.now()),
    });
    return 2;
  } catch (error) {
    await worker.stop();
    await model.clear();
    log.warn('read model: the replay on two threads gave up; replaying on one', { error: String(error) });
    return 0;
  }
}

/**
 * The whole log as one share, on this thread: the same reader (a promise per record, not per event; events not
 * frozen; only account streams decoded), so faster than the runner's way through the store, with the same fall-back.
 */
async function replayOnOneThread({ model, store, keys, log }: SharedReplayOptions): Promise<0 | 1> {
  const started = performance.now();
  try {
    const task: ShareTask = { path: store.path, end: store.index.end, shares: 1, share: 0, keys: null };
    const { last, events } = await projectShare(model, task, keys?.store ?? null);
    if (last) await model.saveCheckpoint(READ_MODEL_CHECKPOINT, last);
    const seconds = (performance.now() - started) / 1000;
    log.info(`read model: replayed ${store.index.events} events in ${seconds.toFixed(2)} s`, {
      events: store.index.events,
      accountEvents: events,
      eventsPerSecond: Math.round(store.index.events / seconds),
    });
    return 1;
  } catch (error) {
    await model.clear();
    log.warn('read model: the replay from the file gave up; the runner replays the log', { error: String(error) });
    return 0;
  }
}

// Built, the worker is its .js beside this file; run from source (tsx), it registers tsx first.
const WORKER_FILE = `./partitioned-replay.worker${path.extname(fileURLToPath(import.meta.url))}`;

function runWorker(task: ShareTask): { reply: Promise<ShareReply>; stop: () => Promise<void> } {
  let worker: Worker;
  const reply = new Promise<ShareReply>((resolve) => {
    const url = new URL(WORKER_FILE, import.meta.url);
    try {
      worker = url.pathname.endsWith('.ts')
        ? new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); })`, {
            eval: true,
            workerData: task,
            execArgv: [],
          })
        : new Worker(url, { workerData: task });
    } catch (error) {
      resolve({ ok: false, error: String(error) });
      return;
    }
    worker.once('message', (m: ShareReply) => resolve(m));
    worker.once('error', (error) => resolve({ ok: false, error: String(error) }));
    worker.once('exit', (code) => resolve({ ok: false, error: `it exited with code ${code}` }));
  });
  return { reply, stop: async () => void (await worker?.terminate()) };
}

/** The chunks' memory, moved to this thread rather than copied (a 10M-event log's share is ~100 MB of them). */
export function transferablesOf(reply: ShareReply): ArrayBuffer[] {
  if (!reply.ok) return [];
  const whole = [...reply.users, ...reply.tokens].filter((b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength);
  return [...new Set(whole.map((b) => b.buffer as ArrayBuffer))];
}

/** The worker's side: its share projected into a model of its own, sent back encoded. */
export async function workerShare(task: ShareTask, openKeys: (source: KeySource) => Promise<AccountKeyStore>): Promise<ShareReply> {
  const keys = task.keys ? await openKeys(task.keys) : null;
  try {
    const model = createMemoryReadModel();
    const started = performance.now();
    const { last, events } = await projectShare(model, task, keys);
    const projected = performance.now();
    const encoded = encodeShare(model.capture());
    return { ok: true, ...encoded, last, events, shareMs: projected - started, encodeMs: performance.now() - projected };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  } finally {
    await keys?.close();
  }
}
