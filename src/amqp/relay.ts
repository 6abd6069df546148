// The relay: a checkpointed subscription to the event store that publishes every account event to the bus.
//
// It runs only while it holds the bus lease (on RabbitMQ: an exclusive queue, so one relay publishes at a time).
// The runner stores its position in batches, and only once every event up to it was confirmed by the bus, so
// delivery is at least once: after a crash, a broker restart or a lease handover the relay resumes from its
// checkpoint, republishing at most the events between the last stored checkpoint and the stop. Those duplicates carry
// the same messageId (the event id), and consumers deduplicate on it.
//
// With `inFlight` > 1 (RabbitMQ) publishes are pipelined: up to that many wait for their confirms at once, awaited in
// publish order before the checkpoint moves; a failed one ends the round (as a lost lease does), and the next round
// resumes from the stored checkpoint.
import { comparePositions, type EventStore, type Position } from '../store/port.js';
import type { Logger } from '../log.js';
import { SubscriptionRunner, unreadableEvent, type Blocked, type CheckpointStore, type Lag } from '../projections/runner.js';
import { BusClosedError, sleep, type EventBus, type OutgoingMessage } from './bus.js';
import { toMessage } from './cloudevents.js';

export interface RelayOptions {
  readonly bus: EventBus;
  readonly store: EventStore;
  readonly checkpoints: CheckpointStore;
  /** Checkpoint name. */
  readonly name: string;
  /** Lease name (on RabbitMQ, the exclusive lock queue). */
  readonly lease: string;
  /** CloudEvents source. */
  readonly source: string;
  readonly log: Logger;
  /** Publishes awaiting their confirms at once (default 1: each confirmed before the next is published). */
  readonly inFlight?: number;
  /** How the runner batches its checkpoint (see RunnerOptions.checkpointEvery). */
  readonly checkpointEvery?: { readonly events?: number; readonly ms?: number };
  /** Positions of events passed over unpublished (RELAY_SKIP_EVENTS). */
  readonly skip?: ReadonlySet<string>;
}

/** Publishes awaiting confirms, in publish order. */
class ConfirmWindow {
  private readonly pending: { position: Position; done: Promise<void>; settled: boolean }[] = [];
  /** The first failure; the window is of no use after it (the round ends). */
  failure: unknown = null;
  /** The last event whose confirm, and every one before it, arrived. */
  confirmed: Position | null = null;
  readonly failed: Promise<void>;
  private fail!: () => void;

  constructor() {
    this.failed = new Promise<void>((resolve) => (this.fail = resolve));
  }

  get size(): number {
    return this.pending.length;
  }

  add(position: Position, publish: Promise<void>): void {
    const entry = { position, settled: false, done: publish };
    entry.done = publish.then(
      () => {
        entry.settled = true;
        while (this.pending[0]?.settled) this.confirmed = this.pending.shift()!.position;
      },
      (error: unknown) => {
        this.failure ??= error;
        this.fail();
        throw error;
      },
    );
    entry.done.catch(() => undefined);
    this.pending.push(entry);
  }

  /** Whether another publish may go out now: fewer than `max` waiting, and none failed. */
  hasRoom(max: number): boolean {
    return this.pending.length < max && this.failure === null;
  }

  /** Waits until fewer than `max` publishes are waiting; throws the window's failure. */
  async room(max: number): Promise<void> {
    while (!this.hasRoom(max) && this.failure === null) await this.pending[0]!.done.catch(() => undefined);
    if (this.failure !== null) throw this.failure;
  }

  /** Waits for the confirms of every publish at or before `position`; throws if one failed. */
  async through(position: Position): Promise<void> {
    for (const entry of [...this.pending]) {
      if (comparePositions(entry.position, position) > 0) break;
      await entry.done;
    }
    if (this.failure !== null) throw this.failure;
  }
}

export class Relay {
  private readonly stopping = new AbortController();
  private runner: SubscriptionRunner | null = null;
  private lastPosition: Position | null = null;
  private loop: Promise<void> | null = null;
  private holding = false;
  /** Messages confirmed by the bus since start. */
  published = 0;

  constructor(private readonly options: RelayOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  private window: ConfirmWindow | null = null;

  /** The position of the last event relayed (confirmed by the bus; its checkpoint is stored in batches). */
  get position(): Position | null {
    const window = this.window;
    if (window && window.size > 0) return window.confirmed ?? this.runner?.storedPosition ?? this.lastPosition;
    return this.runner?.position ?? this.lastPosition;
  }

  /** Whether this process holds the lease and is relaying. */
  get active(): boolean {
    return this.holding;
  }

  /** The event the relay is stuck on while it holds the lease (a publish failing or waiting), or null. */
  get blocked(): Blocked | null {
    return this.holding ? (this.runner?.blocked ?? null) : null;
  }

  /** How far the relay trails the log; null while it does not hold the lease (a standby). */
  async lag(maxEvents?: number): Promise<Lag | null> {
    const runner = this.holding ? this.runner : null;
    return runner ? runner.lag(maxEvents) : null;
  }

  async stop(): Promise<void> {
    this.stopping.abort(new BusClosedError('relay stopped'));
    await this.loop;
  }

  private async run(): Promise<void> {
    const { bus, store, checkpoints, name, source, log } = this.options;
    const signal = this.stopping.signal;
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    while (!signal.aborted) {
      let lease;
      try {
        lease = await bus.lease(this.options.lease, signal);
      } catch (error) {
        if (signal.aborted) return;
        log.warn('relay: could not take the lease', { error: String(error) });
        await sleep(1_000, signal).catch(() => {});
        continue;
      }
      this.holding = true;
      let active = true;
      const inFlight = Math.max(1, this.options.inFlight ?? 1);
      const window = new ConfirmWindow();
      this.window = window;
      const binds = lease.binds?.bind(lease);
      const runner = new SubscriptionRunner({
        name,
        store,
        // The checkpoint never passes an event whose publish is not confirmed yet.
        checkpoints: {
          load: (n) => checkpoints.load(n),
          save: async (n, position) => {
            await window.through(position);
            await checkpoints.save(n, position);
          },
        },
        log,
        ...(this.options.checkpointEvery ? { checkpointEvery: this.options.checkpointEvery } : {}),
        ...(this.options.skip ? { skip: this.options.skip } : {}),
        skipSetting: 'RELAY_SKIP_EVENTS',
        // Not an async function: with room in the confirm window an event is published and done at once, without a
        // promise of its own or a turn of the microtask queue (catch-up runs at the broker's pace).
        handle: (recorded) => {
          if (!active) throw new BusClosedError('relay lease ended');
          let message: OutgoingMessage | null;
          try {
            message = toMessage(recorded, source, binds);
          } catch (error) {
            // A version this release cannot read: retrying cannot help, and publishing it unread would break the
            // contract with subscribers. The runner stops here and /health names the event (upgrade, or skip it).
            throw unreadableEvent(error);
          }
          if (!message) return undefined;
          const publish = (): Promise<void> => lease.publish(message).then(() => void this.published++);
          if (inFlight === 1) return publish();
          if (!window.hasRoom(inFlight)) return window.room(inFlight).then(() => window.add(recorded.position, publish()));
          window.add(recorded.position, publish());
          return undefined;
        },
      });
      this.runner = runner;
      let failed = false;
      const started = runner.start().then(
        () => log.info('relay caught up with the log, following it live', { published: this.published }),
        (error: unknown) => {
          failed = true;
          if (active) log.error('relay: catch-up failed', { error: String(error) });
        },
      );
      await Promise.race([lease.lost, aborted, window.failed, started.then(() => (failed ? undefined : new Promise<void>(() => {})))]);
      if (window.failure !== null && !signal.aborted) {
        failed = true;
        log.warn('relay: a publish failed; resuming from the checkpoint', { error: String(window.failure) });
      }
      active = false;
      this.holding = false;
      await runner.stop().catch(() => {});
      await started;
      // Where the next round resumes: the checkpoint as stored (every event up to it confirmed).
      this.lastPosition = runner.storedPosition ?? this.lastPosition;
      this.window = null;
      await lease.release();
      if (signal.aborted) return;
      log.warn('relay: lease ended; resuming from the checkpoint once it is held again');
      await sleep(failed ? 1_000 : 0, signal).catch(() => {});
    }
  }
}
