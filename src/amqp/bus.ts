// The event bus port: what the relay publishes to and what the email consumer consumes from. Two adapters:
// RabbitMQ (amqp-bus.ts, when AMQP_URL is set) and an in-process bus (in-process.ts, the embedded default), so the
// same relay and consumer code runs in both.

/** One account event on its way out: a CloudEvents 1.0 structured-mode JSON body plus transport properties. */
export interface OutgoingMessage {
  /** e.g. user.registered */
  readonly routingKey: string;
  /** The event's id: consumers deduplicate on it. */
  readonly messageId: string;
  /** The CloudEvents type, e.g. authstream.user.registered. */
  readonly type: string;
  readonly timestamp: Date;
  readonly contentType: string;
  readonly body: Buffer;
}

export interface Delivery {
  readonly messageId: string;
  /** The routing key it was published with (a retried message keeps it in a header). */
  readonly routingKey: string;
  readonly body: Buffer;
  /** 1 on the first delivery, n on the nth attempt (redeliveries after a crash do not count). */
  readonly attempt: number;
}

/** What a consumer decided about a delivery; the bus carries it out. */
export type Verdict =
  | { readonly action: 'ack' }
  | { readonly action: 'retry'; readonly delayMs: number; readonly reason: string }
  | { readonly action: 'dead-letter'; readonly reason: string };

export type DeliveryHandler = (delivery: Delivery) => Promise<Verdict>;

export interface QueueSpec {
  /** Durable queue name; `<queue>.dlq` holds dead letters, `<queue>.retry.<ms>` delays retries (AMQP). */
  readonly queue: string;
  /** Routing-key patterns bound to the exchange (topic syntax: `*` one word, `#` any number). */
  readonly bindings: readonly string[];
  /** Deliveries handled at once. */
  readonly concurrency: number;
}

/**
 * The type of the durable queues declared on RabbitMQ (AMQP_QUEUE_TYPE). Quorum: RabbitMQ's replicated durable queue,
 * and on a single node the faster one for persistent, confirmed messages (about twice a classic queue's rate here,
 * bench/README.md). Classic: for brokers before 3.10 (no message TTL on quorum queues). A queue that already exists
 * as the other type is used as it is (queueTypes in amqp-bus.ts): a queue's type cannot change.
 */
export const QUEUE_TYPES = ['quorum', 'classic'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

export interface Subscription {
  /** Stops taking deliveries and waits for those in hand to settle. */
  close(): Promise<void>;
}

/**
 * The right to publish. On RabbitMQ it is an exclusive queue on the holder's connection, so at most one relay
 * publishes at a time; it ends when that connection ends.
 */
export interface Lease {
  /** Resolves once the bus took responsibility for the message (broker confirm; in-process: consumers settled). */
  publish(message: OutgoingMessage): Promise<void>;
  /** Resolves when the lease is lost (connection or channel gone). */
  readonly lost: Promise<void>;
  /** Gives the lease up (closes the lock channel). */
  release(): Promise<void>;
  /**
   * Whether any queue takes messages with this routing key. Only a bus that knows every binding has it (the
   * in-process one): there, a message nobody takes is not worth building. A broker's bindings live in the broker.
   */
  binds?(routingKey: string): boolean;
}

export interface EventBus {
  readonly kind: 'amqp' | 'in-process';
  /** Waits until this process holds the lease `name`; rejects when `signal` aborts or the bus closes. */
  lease(name: string, signal: AbortSignal): Promise<Lease>;
  consume(spec: QueueSpec, handler: DeliveryHandler): Promise<Subscription>;
  /** e.g. { connected: true } for /health. */
  status(): Record<string, unknown>;
  close(): Promise<void>;
}

export class BusClosedError extends Error {
  override name = 'BusClosedError';
}

/** AMQP topic matching: `*` matches exactly one word, `#` zero or more. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const p = pattern.split('.');
  const k = routingKey.split('.');
  const match = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return match(i + 1, j) || (j < k.length && match(i, j + 1));
    if (j === k.length) return false;
    return (p[i] === '*' || p[i] === k[j]) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

/** Exponential backoff: base, 2·base, 4·base … capped at max. */
export function retryDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), maxMs);
}

/** A promise that resolves after `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new BusClosedError('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason ?? new BusClosedError('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
