// An API instance on MongoDB follows the read model's version pointer (mongo.ts): when `authstream rebuild` has
// switched it to a new version, the instance first brings the new version up to the events its own projection has
// applied (replaying the log from the new version's checkpoint, while the old version goes on serving), then holds
// its projection for the last few events, replays those too, and moves reads and writes over in one step. So it
// never reads a half-built model, and a write it answered is in the model it reads next (read-your-writes holds
// across the switch). The projection's writes are guarded by revision: replaying into the new version is harmless.
import type { Logger } from '../log.js';
import { READ_MODEL_CHECKPOINT, type ReadModel } from '../readmodel/port.js';
import type { VersionedReadModel } from '../readmodel/mongo.js';
import { comparePositions, type EventStore, type Position, type RecordedEvent } from '../store/port.js';
import { readModelProjection } from './read-model.projection.js';
import { positionText, type Handled } from './runner.js';

/** A read model with versions (MongoDB's), told apart without loading its driver. */
export const isVersionedReadModel = (model: ReadModel): model is VersionedReadModel =>
  typeof (model as Partial<VersionedReadModel>).pointedVersion === 'function';

export interface ReadModelSwitch {
  /** The projection's handler, held while a switch moves over. */
  guard(handle: (event: RecordedEvent) => Handled): (event: RecordedEvent) => Promise<void>;
  /** Starts polling the pointer; `position` is the projection's applied position (runner.position). */
  follow(position: () => Position | null): void;
  /** Looks at the pointer once and switches if it moved; resolves with the version now read. */
  check(): Promise<string>;
  stop(): Promise<void>;
}

export interface SwitchOptions {
  readonly model: VersionedReadModel;
  readonly store: EventStore;
  readonly log: Logger;
  /** Positions the projection passes over (READ_MODEL_SKIP_EVENTS): the replay into the new version too. */
  readonly skip?: ReadonlySet<string>;
  readonly pollMs?: number;
}

export function readModelSwitch(options: SwitchOptions): ReadModelSwitch {
  const { model, store, log } = options;
  let held: Promise<void> | null = null;
  let release: () => void = () => undefined;
  let inFlight: Promise<void> | null = null;
  let applied: () => Position | null = () => null;
  /** The last event the guarded handler finished (it may be ahead of `applied()` for a moment). */
  let handled: Position | null = null;
  const latest = (): Position | null => {
    const a = applied();
    if (!a || !handled) return a ?? handled;
    return comparePositions(a, handled) >= 0 ? a : handled;
  };
  let timer: NodeJS.Timeout | undefined;
  let checking: Promise<string> | null = null;
  let stopped = false;

  /** Replays the log into `next` after `from`, up to and including `target`; returns where it got. */
  async function replay(next: VersionedReadModel, from: Position | null, target: Position): Promise<Position | null> {
    const project = readModelProjection(next);
    let at = from;
    for await (const event of store.readAll(at ? { fromPosition: at } : {})) {
      if (at && comparePositions(event.position, at) <= 0) continue;
      if (comparePositions(event.position, target) > 0) break;
      if (!options.skip?.has(positionText(event.position))) await project(event);
      at = event.position;
    }
    if (at) await next.saveCheckpoint(READ_MODEL_CHECKPOINT, at);
    return at;
  }

  async function switchTo(version: string): Promise<void> {
    const started = performance.now();
    log.info(`read model: the pointer names version '${version}' (authstream rebuild); bringing it up to this instance's projection`, {
      from: model.version,
      to: version,
    });
    const next = await model.openVersion(version);
    let at = await next.loadCheckpoint(READ_MODEL_CHECKPOINT);
    // While the old version serves: catch up (a few rounds, each shorter than the last).
    for (let round = 0; round < 5; round++) {
      const target = latest();
      if (!target || (at && comparePositions(at, target) >= 0)) break;
      at = await replay(next, at, target);
    }
    // Then the last events with the projection held, and the move.
    held = new Promise<void>((resolve) => (release = resolve));
    try {
      await inFlight?.catch(() => undefined);
      const target = latest();
      if (target && (!at || comparePositions(at, target) < 0)) at = await replay(next, at, target);
      model.adopt(next);
    } finally {
      const open = release;
      held = null;
      open();
    }
    log.info(`read model: switched to version '${version}' in ${(performance.now() - started).toFixed(0)} ms`, {
      version,
      position: at ? positionText(at) : 'none',
    });
  }

  async function check(): Promise<string> {
    const pointed = await model.pointedVersion();
    if (pointed !== model.version && !stopped) await switchTo(pointed);
    return model.version;
  }

  return {
    guard: (handle) => async (event) => {
      while (held) await held;
      const done = Promise.resolve(handle(event)).then(() => void (handled = event.position));
      inFlight = done;
      try {
        await done;
      } finally {
        if (inFlight === done) inFlight = null;
      }
    },
    follow(position) {
      applied = position;
      timer = setInterval(() => {
        if (checking || stopped) return;
        checking = check()
          .catch((error: unknown) => {
            log.warn('read model: following the version pointer failed; trying again', { error: String(error) });
            return model.version;
          })
          .finally(() => (checking = null));
      }, options.pollMs ?? 2_000);
      timer.unref();
    },
    check: () => (checking ??= check().finally(() => (checking = null))),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await checking?.catch(() => undefined);
    },
  };
}
