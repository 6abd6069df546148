// A checkpointed subscription to $all: catch up from the stored checkpoint, then follow live; on a drop, resubscribe
// from the last event handled. One runner serves the read-model projections and the AMQP relay alike.
import { comparePositions, type EventStore, type Position, type RecordedEvent } from '../store/port.js';
import type { Logger } from '../log.js';

export interface CheckpointStore {
  load(name: string): Promise<Position | null>;
  save(name: string, position: Position): Promise<void>;
}

export interface RunnerOptions {
  readonly name: string;
  readonly store: EventStore;
  readonly checkpoints: CheckpointStore;
  /** Must be idempotent: after a crash, events since the last stored checkpoint are handled again. */
  readonly handle: (event: RecordedEvent) => Handled;
  readonly log: Logger;
  /**
   * Positions (positionText) of events to pass over without handling them: the operator's way past an event the
   * handler cannot read (READ_MODEL_SKIP_EVENTS for the read model). Each one skipped is logged.
   */
  readonly skip?: ReadonlySet<string>;
  /** The setting that fills `skip`, named in the log line and in /health when the runner stops at an event. */
  readonly skipSetting?: string;
  /**
   * Checkpoints are stored in batches: after `events` events or `ms` after the first one not stored yet, whichever
   * comes first, and at stop (default 500 events, 1000 ms). A crash then hands the handler again at most those
   * events, which it absorbs (it is idempotent). `{ events: 1 }` stores after every event.
   */
  readonly checkpointEvery?: { readonly events?: number; readonly ms?: number };
}

/**
 * What a handler returns: the promise of its work, or undefined when it had nothing to do with the event (the
 * runner then goes on without waiting a turn: in a replay, that is most events for most handlers).
 */
export type Handled = Promise<unknown> | undefined;

export const CHECKPOINT_EVERY_EVENTS = 500;
export const CHECKPOINT_EVERY_MS = 1_000;

/**
 * Thrown by a handler for an event it can never read — an unknown type, a version with no upcaster, data that does
 * not match its schema — as opposed to a failure that may pass (the read model is down), which is retried. The
 * runner stops at such an event instead of retrying it forever, and reports it (stoppedAt, blocked, /health).
 * The message must not hold the event's data.
 */
export class UnreadableEventError extends Error {
  override name = 'UnreadableEventError';
}

/**
 * The UnreadableEventError for a parse failure: the schema's complaints (each field's path and the schema's message,
 * which names expectations, never the value found), or the registry's message (an unknown type or version).
 */
export function unreadableEvent(error: unknown): UnreadableEventError {
  const issues = (error as { issues?: unknown }).issues;
  const reason = Array.isArray(issues)
    ? `schema mismatch: ${issues
        .slice(0, 5)
        .map((i: { path?: unknown[]; message?: string }) => `${(i.path ?? []).join('.') || '(root)'}: ${i.message ?? 'invalid'}`)
        .join('; ')}`
    : error instanceof Error
      ? error.message
      : String(error);
  return new UnreadableEventError(reason.slice(0, 300));
}

/** A position as operators read and write it: `N` on the embedded log (commit = prepare), `commit/prepare` else. */
export const positionText = (p: Position): string => (p.commit === p.prepare ? String(p.commit) : `${p.commit}/${p.prepare}`);

/** The event a runner stopped at because its handler cannot read it. */
export interface StoppedAt {
  readonly position: string;
  readonly streamId: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly reason: string;
  readonly since: Date;
}

export class ReadYourWritesTimeout extends Error {
  override name = 'ReadYourWritesTimeout';
}

/** How far a runner trails the log: events not handled yet (counted up to a limit) and the age of the oldest. */
export interface Lag {
  readonly events: number;
  /** More than `events` are pending: counting stopped at the limit. */
  readonly capped: boolean;
  readonly seconds: number;
}

/** The event a runner is stuck on: its handler keeps failing (retried), or it has been handling it for long. */
export interface Blocked {
  readonly since: Date;
  readonly eventType: string;
  readonly eventId: string;
  /** The last failure; null while the first attempt is still running. */
  readonly error: string | null;
  readonly failures: number;
  /** Set when the runner stopped at an event it cannot read (it is not retrying it). */
  readonly stopped?: StoppedAt & { readonly skipSetting?: string };
}

/** A handler still running after this long counts as blocked (an in-process email retry holds the relay). */
export const HANDLING_STUCK_MS = 10_000;

export class SubscriptionRunner {
  private applied: Position | null = null;
  private waiters: { target: Position; resolve: () => void }[] = [];
  private stopped = false;
  private subscription: { close(): Promise<void> } | null = null;
  private loop: Promise<void> | null = null;
  /** Reading the log up to its end as it was at start (then `loop` follows it). */
  private catchingUp: Promise<void> | null = null;
  /** The event being handled: since when (ms; a Date per event would cost a replay), failures so far. */
  private handling: { event: RecordedEvent; since: number; failures: number; error: string | null } | null = null;
  private unreadable: StoppedAt | null = null;
  /** The checkpoint as last stored, events handled since, and the batch's timer and store in progress. */
  private stored: Position | null = null;
  private unstored = 0;
  private storeTimer: NodeJS.Timeout | null = null;
  private storing: Promise<void> | null = null;

  constructor(private readonly options: RunnerOptions) {}

  /** Resolves once the runner has caught up with the log as it was at start; then follows it live. */
  async start(): Promise<void> {
    await this.loadCheckpoint();
    this.catchingUp = this.catchUp();
    await this.catchingUp;
  }

  /**
   * As start(), but resolves once the checkpoint is read (a checkpoint that cannot be read still fails here): the
   * catch-up runs on, and a failure of it goes to `failed`. For a runner nothing has to wait for, on a log it may
   * have to read from the start (no checkpoint of its own yet).
   */
  async startInBackground(failed: (error: unknown) => void): Promise<void> {
    await this.loadCheckpoint();
    this.catchingUp = this.catchUp().catch(failed);
  }

  private async loadCheckpoint(): Promise<void> {
    this.applied = await this.options.checkpoints.load(this.options.name);
    this.stored = this.applied;
  }

  private async catchUp(): Promise<void> {
    const { store } = this.options;
    for await (const event of store.readAll(this.applied ? { fromPosition: this.applied } : {})) {
      if (this.applied && comparePositions(event.position, this.applied) <= 0) continue; // readAll is inclusive
      const done = this.apply(event);
      if (!(typeof done === 'boolean' ? done : await done)) return; // stopped at an event it cannot read: no following either
      if (this.stopped) return;
    }
    if (this.stopped) return;
    this.loop = this.follow();
  }

  /** The event this runner stopped at because its handler cannot read it; null while it runs. */
  get stoppedAt(): StoppedAt | null {
    return this.unreadable;
  }

  /** The position of the last event handled. */
  get position(): Position | null {
    return this.applied;
  }

  /** The event this runner is stuck on, or null (for /health/ready and the metrics). */
  get blocked(): Blocked | null {
    const s = this.unreadable;
    if (s) {
      const skipSetting = this.options.skipSetting;
      return {
        since: s.since,
        eventType: s.eventType,
        eventId: s.eventId,
        error: s.reason,
        failures: 1,
        stopped: { ...s, ...(skipSetting ? { skipSetting } : {}) },
      };
    }
    const h = this.handling;
    if (!h || (h.failures === 0 && Date.now() - h.since < HANDLING_STUCK_MS)) return null;
    return { since: new Date(h.since), eventType: h.event.type, eventId: h.event.id, error: h.error, failures: h.failures };
  }

  /** Reads the log after the last event handled: how many events are pending (up to `maxEvents`), and since when. */
  async lag(maxEvents = 1_000): Promise<Lag> {
    const applied = this.applied;
    let events = 0;
    let oldest: Date | undefined;
    for await (const event of this.options.store.readAll(
      applied ? { fromPosition: applied, maxCount: maxEvents + 2 } : { maxCount: maxEvents + 1 },
    )) {
      if (applied && comparePositions(event.position, applied) <= 0) continue; // readAll is inclusive
      oldest ??= event.created;
      if (++events > maxEvents) break;
    }
    const seconds = oldest ? Math.max(0, (Date.now() - oldest.getTime()) / 1000) : 0;
    return { events: Math.min(events, maxEvents), capped: events > maxEvents, seconds };
  }

  /** Waits until the event at `target` has been handled; throws ReadYourWritesTimeout after `timeoutMs`. */
  waitFor(target: Position, timeoutMs: number): Promise<void> {
    if (this.applied && comparePositions(this.applied, target) >= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new ReadYourWritesTimeout(`${this.options.name} did not reach the write within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    // A catch-up stops after the event it is handling: none is handled once this resolves.
    await this.catchingUp?.catch(() => undefined);
    await this.loop;
    // The last batch: what was handled is stored (unless storing fails: then it is handled again next time).
    await this.storing;
    await this.storeCheckpoint();
  }

  /** The checkpoint as last stored (it trails `position` by at most a batch). */
  get storedPosition(): Position | null {
    return this.stored;
  }

  /** Counts an event handled and stores the checkpoint when the batch is full, or soon after (never awaited here). */
  private batchCheckpoint(): void {
    this.unstored++;
    const every = this.options.checkpointEvery;
    if (this.unstored >= (every?.events ?? CHECKPOINT_EVERY_EVENTS)) {
      void this.storeCheckpoint();
    } else if (!this.storeTimer && !this.stopped) {
      this.storeTimer = setTimeout(() => void this.storeCheckpoint(), every?.ms ?? CHECKPOINT_EVERY_MS);
      this.storeTimer.unref();
    }
  }

  /** Stores the position of the last event handled, one store at a time; a failure is logged and retried later. */
  private storeCheckpoint(): Promise<void> {
    if (this.storeTimer) clearTimeout(this.storeTimer);
    this.storeTimer = null;
    if (this.storing) return this.storing;
    const target = this.applied;
    if (!target || (this.stored && comparePositions(target, this.stored) <= 0)) return Promise.resolve();
    const batch = this.unstored;
    this.unstored = 0;
    this.storing = this.options.checkpoints.save(this.options.name, target).then(
      () => {
        this.stored = target;
        this.storing = null;
        // Events handled while this one was stored: a full batch goes now, a partial one by the timer.
        if (this.unstored > 0 && !this.stopped) {
          this.unstored--;
          this.batchCheckpoint();
        }
      },
      (error: unknown) => {
        this.storing = null;
        this.unstored += batch;
        this.options.log.warn(`${this.options.name}: storing the checkpoint failed; it is stored with a later batch`, {
          error: String(error),
        });
        if (!this.stopped && !this.storeTimer) {
          this.storeTimer = setTimeout(() => void this.storeCheckpoint(), this.options.checkpointEvery?.ms ?? CHECKPOINT_EVERY_MS);
          this.storeTimer.unref();
        }
      },
    );
    return this.storing;
  }

  private async follow(): Promise<void> {
    let backoffMs = 100;
    while (!this.stopped) {
      try {
        const subscription = this.options.store.subscribeToAll(this.applied ?? undefined);
        this.subscription = subscription;
        for await (const event of subscription) {
          if (!(await this.apply(event))) {
            await subscription.close();
            return;
          }
          backoffMs = 100;
        }
        if (this.stopped) return;
        throw new Error('subscription ended');
      } catch (error) {
        if (this.stopped) return;
        this.options.log.warn(`${this.options.name}: subscription dropped, resuming in ${backoffMs} ms`, { error: String(error) });
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(backoffMs * 2, 5_000);
      }
    }
  }

  /**
   * Handles one event (retrying failures that may pass); false when it stopped at an event it cannot read. Not an
   * async function: an event the handler has nothing to do with (it returns undefined) is done here and then, without
   * a promise or a turn of the microtask queue (a third of a read-model replay, nearly all of the email requests').
   */
  private apply(event: RecordedEvent): boolean | Promise<boolean> {
    if (this.unreadable) return false;
    const { name, log, skip, skipSetting } = this.options;
    // The text only when there is a skip list to look in: a replay handles ~200k events a second.
    if (skip?.size) {
      const position = positionText(event.position);
      if (skip.has(position)) {
        log.warn(`${name}: skipping the event at position ${position} without handling it, as ${skipSetting ?? 'configured'} says`, {
          position,
          streamId: event.streamId,
          eventType: event.type,
          eventId: event.id,
        });
        return this.handled(event);
      }
    }
    let pending: Promise<unknown> | undefined;
    try {
      pending = this.options.handle(event);
    } catch (error) {
      return this.retry(event, error);
    }
    if (pending === undefined) return this.handled(event);
    this.handlingOf(event);
    return pending.then(
      () => this.handled(event),
      (error: unknown) => this.retry(event, error),
    );
  }

  /** After the handler failed on `event`: retries what may pass (the read model is down), stops at what cannot. */
  private async retry(event: RecordedEvent, failure: unknown): Promise<boolean> {
    const handling = this.handlingOf(event);
    // A failing handler is retried until it succeeds: skipping would lose the effect.
    for (let error = failure, delayMs = 100; ; delayMs = Math.min(delayMs * 2, 5_000)) {
      if (this.stopped) {
        this.handling = null;
        throw error;
      }
      if (error instanceof UnreadableEventError) {
        this.stopAt(event, error);
        return false;
      }
      handling.failures++;
      handling.error = String(error);
      this.options.log.error(`${this.options.name}: handling ${event.type} ${event.id} failed, retrying`, { error: String(error) });
      await new Promise((r) => setTimeout(r, delayMs));
      try {
        await this.options.handle(event);
        return this.handled(event);
      } catch (next) {
        error = next;
      }
    }
  }

  /** The event in hand, since when, how it failed (for `blocked`): set once an event is not done at once. */
  private handlingOf(event: RecordedEvent): NonNullable<SubscriptionRunner['handling']> {
    return (this.handling ??= { event, since: Date.now(), failures: 0, error: null });
  }

  /** Retrying cannot help: stops here, says so once, and lets the operator decide (upgrade, or skip the event). */
  private stopAt(event: RecordedEvent, error: UnreadableEventError): void {
    const { name, log, skipSetting } = this.options;
    const position = positionText(event.position);
    this.handling = null;
    this.unreadable = {
      position,
      streamId: event.streamId,
      eventType: event.type,
      eventId: event.id,
      reason: error.message,
      since: new Date(),
    };
    const hint = skipSetting ? `; upgrade authstream to a version that reads it, or skip it with ${skipSetting}=${position}` : '';
    log.error(`${name}: stopped at an event it cannot read (position ${position}, stream ${event.streamId}, type ${event.type})${hint}`, {
      position,
      streamId: event.streamId,
      eventType: event.type,
      eventId: event.id,
      reason: error.message,
    });
    void this.storeCheckpoint(); // what was handled before it, now: the runner goes no further
  }

  /** `event` is handled: it is the position now, and whoever waited for it is told. */
  private handled(event: RecordedEvent): true {
    this.handling = null;
    this.applied = event.position;
    this.batchCheckpoint();
    if (this.waiters.length === 0) return true;
    const ready = this.waiters.filter((w) => comparePositions(event.position, w.target) >= 0);
    if (ready.length === 0) return true;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
    return true;
  }
}
