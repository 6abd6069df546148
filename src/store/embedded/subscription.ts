// A subscription to $all is a cursor over global positions: catch-up and live are the same loop, reading spans of
// records from the log. The writer puts a record into the index and wakes subscriptions in one synchronous step, and
// a cursor only sleeps after seeing it is at the end, so nothing appended in between can be missed. A read-only
// store has no writer to wake it: it looks for new appends in the file every `pollMs`.
import type { AllSubscription, RecordedEvent } from '../port.js';

export interface SubscriptionSource {
  /** Events in the log so far (= the last position). */
  events(): number;
  /** Events from position `from` (inclusive) on, at least one, as far as one read goes. */
  read(from: number): Promise<readonly RecordedEvent[]>;
  /** Looks for appends made by another process (read-only stores). */
  refresh?(): Promise<void>;
  readonly pollMs: number;
}

export function isSystem(e: RecordedEvent): boolean {
  return e.type.startsWith('$') || e.streamId.startsWith('$');
}

export class LogSubscription implements AllSubscription {
  private closed: boolean;
  private sleeping: (() => void) | undefined;
  private iterator: AsyncGenerator<RecordedEvent> | undefined;

  constructor(
    private readonly source: SubscriptionSource,
    /** The next position to deliver. */
    private next: number,
    closed: boolean,
    private readonly onClose: () => void,
  ) {
    this.closed = closed;
  }

  wake(): void {
    const resume = this.sleeping;
    this.sleeping = undefined;
    resume?.();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.onClose();
    this.wake();
  }

  [Symbol.asyncIterator](): AsyncIterator<RecordedEvent> {
    this.iterator ??= this.events();
    return this.iterator;
  }

  private async *events(): AsyncGenerator<RecordedEvent> {
    try {
      while (!this.closed) {
        if (this.next <= this.source.events()) {
          for (const e of await this.source.read(this.next)) {
            if (this.closed) return;
            this.next = Number(e.position.commit) + 1;
            if (!isSystem(e)) yield e;
          }
        } else if (this.source.refresh) {
          await this.source.refresh();
          if (this.next > this.source.events()) await this.sleep(this.source.pollMs);
        } else {
          await this.sleep();
        }
      }
    } finally {
      // A consumer that breaks out of for-await is done with the subscription too.
      await this.close();
    }
  }

  private sleep(ms?: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // Not unref'd: a process following a log read-only (a CLI) waits for the writer's next append.
      const timer = ms === undefined ? undefined : setTimeout(() => this.wake(), ms);
      this.sleeping = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
