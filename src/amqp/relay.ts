// The relay: a checkpointed subscription to the event store that publishes every account event to the bus.
//
// It runs only while it holds the bus lease (on RabbitMQ: an exclusive queue, so one relay publishes at a time).
// Each event is published and confirmed before the runner stores its position, so delivery is at least once: after a
// crash, a broker restart or a lease handover the relay resumes from its checkpoint, republishing at most the events
// between the last stored checkpoint and the stop. Those duplicates carry the same messageId (the event id), and
// consumers deduplicate on it.
import type { EventStore, Position } from '../store/port.js';
import type { Logger } from '../log.js';
import { SubscriptionRunner, type Blocked, type CheckpointStore, type Lag } from '../projections/runner.js';
import { BusClosedError, sleep, type EventBus } from './bus.js';
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

  /** The position of the last event relayed (confirmed and checkpointed). */
  get position(): Position | null {
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
      const runner = new SubscriptionRunner({
        name,
        store,
        checkpoints,
        log,
        handle: async (recorded) => {
          if (!active) throw new BusClosedError('relay lease ended');
          const message = toMessage(recorded, source);
          if (!message) return;
          await lease.publish(message);
          this.published++;
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
      await Promise.race([lease.lost, aborted, started.then(() => (failed ? undefined : new Promise<void>(() => {})))]);
      active = false;
      this.holding = false;
      await runner.stop().catch(() => {});
      await started;
      this.lastPosition = runner.position ?? this.lastPosition;
      await lease.release();
      if (signal.aborted) return;
      log.warn('relay: lease ended; resuming from the checkpoint once it is held again');
      await sleep(failed ? 1_000 : 0, signal).catch(() => {});
    }
  }
}
