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
  readonly handle: (event: RecordedEvent) => Promise<void>;
  readonly log: Logger;
}

export class ReadYourWritesTimeout extends Error {
  override name = 'ReadYourWritesTimeout';
}

export class SubscriptionRunner {
  private applied: Position | null = null;
  private waiters: { target: Position; resolve: () => void }[] = [];
  private stopped = false;
  private subscription: { close(): Promise<void> } | null = null;
  private loop: Promise<void> | null = null;

  constructor(private readonly options: RunnerOptions) {}

  /** Resolves once the runner has caught up with the log as it was at start; then follows it live. */
  async start(): Promise<void> {
    const { store, checkpoints, name } = this.options;
    this.applied = await checkpoints.load(name);
    for await (const event of store.readAll(this.applied ? { fromPosition: this.applied } : {})) {
      if (this.applied && comparePositions(event.position, this.applied) <= 0) continue; // readAll is inclusive
      await this.apply(event);
    }
    this.loop = this.follow();
  }

  /** The position of the last event handled. */
  get position(): Position | null {
    return this.applied;
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
    await this.loop;
  }

  private async follow(): Promise<void> {
    let backoffMs = 100;
    while (!this.stopped) {
      try {
        const subscription = this.options.store.subscribeToAll(this.applied ?? undefined);
        this.subscription = subscription;
        for await (const event of subscription) {
          await this.apply(event);
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

  private async apply(event: RecordedEvent): Promise<void> {
    // A failing handler (the read model is down) is retried until it succeeds: skipping would lose the effect.
    for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 5_000)) {
      try {
        await this.options.handle(event);
        await this.options.checkpoints.save(this.options.name, event.position);
        break;
      } catch (error) {
        if (this.stopped) throw error;
        this.options.log.error(`${this.options.name}: handling ${event.type} ${event.id} failed, retrying`, { error: String(error) });
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
    this.applied = event.position;
    const ready = this.waiters.filter((w) => comparePositions(event.position, w.target) >= 0);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }
}
