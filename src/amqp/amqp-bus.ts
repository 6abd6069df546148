// The RabbitMQ bus.
//
// Publishing (the relay): a confirm channel; publish() resolves only when the broker confirms, so the relay's
// checkpoint never passes an unconfirmed event. Messages are persistent, on a durable topic exchange.
//
// The lease: an exclusive queue `<name>` declared by the relay. RabbitMQ lets exactly one connection declare an
// exclusive queue and deletes it when that connection ends, so at most one relay publishes at a time and a standby
// takes over within LEASE_POLL_MS of the holder's connection dying.
//
// Consuming (the email consumer), for a queue Q (of AMQP_QUEUE_TYPE, quorum by default, and so are the others):
//   Q            durable, bound to the exchange per routing key, dead-letters to Q.dlx; manual acks, prefetch N
//   Q.retry.<ms> durable, x-message-ttl <ms>, dead-letters back to Q via the default exchange: a retry is a copy
//                published there (attempt+1 in a header, confirmed) before the original is acked. One queue per
//                delay keeps every queue FIFO in expiry order (no head-of-line blocking of per-message TTLs).
//   Q.dlx → Q.dlq fanout exchange and durable queue for dead letters (a confirmed copy with the reason in headers).
// A crash between the copy and the ack yields a duplicate delivery, which the consumer recognises by messageId.
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { Logger } from '../log.js';
import { AmqpConnection } from './connection.js';
import {
  BusClosedError,
  sleep,
  type DeliveryHandler,
  type EventBus,
  type Lease,
  type OutgoingMessage,
  type QueueSpec,
  type QueueType,
  type Verdict,
  QUEUE_TYPES,
} from './bus.js';

export interface AmqpBusOptions {
  readonly url: string;
  readonly exchange: string;
  readonly log: Logger;
  /** connection_name in the management UI. */
  readonly name?: string;
  /** How often a standby relay tries to take the lease. */
  readonly leasePollMs?: number;
  /** How long close() waits for deliveries in hand. */
  readonly drainTimeoutMs?: number;
  /**
   * Queues the relay declares (and binds) before it publishes anything: a topic exchange drops what no queue is bound
   * to, so the service's own consumers' queues must exist before the first event goes out, whichever process starts
   * first.
   */
  readonly declareQueues?: readonly QueueSpec[];
  /** The type of every durable queue it declares (AMQP_QUEUE_TYPE); default quorum. */
  readonly queueType?: QueueType;
}

/**
 * The arguments that make a durable queue of `type`. Classic queues get none: that is how every release before
 * AMQP_QUEUE_TYPE declared them, and a declaration must repeat an existing queue's arguments exactly.
 */
function typeArguments(type: QueueType, deadLetters?: 'at-least-once'): Record<string, unknown> {
  if (type === 'classic') return {};
  // A quorum queue dead-letters at most once unless told otherwise, which needs reject-publish on overflow.
  return { 'x-queue-type': 'quorum', ...(deadLetters ? { 'x-dead-letter-strategy': deadLetters, 'x-overflow': 'reject-publish' } : {}) };
}

export const HEADER_ATTEMPT = 'x-authstream-attempt';
export const HEADER_ROUTING_KEY = 'x-authstream-routing-key';
export const HEADER_ERROR = 'x-authstream-error';

export const retryQueueName = (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}`;
export const deadLetterExchangeName = (queue: string): string => `${queue}.dlx`;
export const deadLetterQueueName = (queue: string): string => `${queue}.dlq`;

/** The exchange every relay publishes to. */
export async function assertEventsExchange(ch: { assertExchange: ConfirmChannel['assertExchange'] }, exchange: string): Promise<void> {
  await ch.assertExchange(exchange, 'topic', { durable: true, autoDelete: false });
}

/** Publishes on a confirm channel; resolves on the broker's ack, rejects on a nack or when the channel closes. */
export function publishConfirmed(
  ch: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: Buffer,
  options: Options.Publish,
): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      ch.publish(exchange, routingKey, body, options, (error: unknown) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
      );
    } catch (error) {
      reject(error); // the channel is already closed
    }
  });
}

export function publishOptions(message: OutgoingMessage): Options.Publish {
  return {
    messageId: message.messageId,
    type: message.type,
    timestamp: Math.floor(message.timestamp.getTime() / 1000),
    contentType: message.contentType,
    persistent: true,
    appId: 'authstream',
  };
}

/** Our own headers, minus the broker's dead-letter history (x-death …), which would trip its cycle detection. */
function ownHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([k]) => !k.startsWith('x-') || k.startsWith('x-authstream-')));
}

function copyProperties(msg: ConsumeMessage): Options.Publish {
  const p = msg.properties;
  return {
    ...(p.messageId ? { messageId: String(p.messageId) } : {}),
    ...(p.type ? { type: String(p.type) } : {}),
    ...(p.timestamp ? { timestamp: Number(p.timestamp) } : {}),
    ...(p.contentType ? { contentType: String(p.contentType) } : {}),
    ...(p.appId ? { appId: String(p.appId) } : {}),
    persistent: true,
  };
}

/** The type a queue already has, from the 406 that refused declaring it as another type; null for other refusals. */
export function existingQueueType(error: unknown): QueueType | null {
  if (errorCode(error) !== 406) return null;
  // '… but current is none' (declared without the argument: classic), '… but current is (the value) 'quorum''
  const current = /inequivalent arg 'x-queue-type'.* but current is (?:none|(?:the value )?'(\w+)')/.exec(String(error));
  if (!current) return null;
  const type = current[1] ?? 'classic';
  return (QUEUE_TYPES as readonly string[]).includes(type) ? (type as QueueType) : null;
}

/**
 * The type each queue is declared as: AMQP_QUEUE_TYPE, except a queue that already exists as the other type (one an
 * earlier release declared classic): RabbitMQ cannot change a queue's type, so that queue is used as it is — learned
 * from the broker's refusal, said once — rather than leaving the relay and the consumer stuck after an upgrade.
 */
export interface QueueTypes {
  of(queue: string): QueueType;
  /** Learns the queue's type from a refusal; false for any other error. */
  learn(queue: string, error: unknown): boolean;
}

export function queueTypes(configured: QueueType, log?: Logger): QueueTypes {
  const existing = new Map<string, QueueType>();
  return {
    of: (queue) => existing.get(queue) ?? configured,
    learn(queue, error) {
      const type = existingQueueType(error);
      // Refused although declared as that type already: something else differs, and learning cannot help.
      if (type === null || existing.get(queue) === type) return false;
      existing.set(queue, type);
      log?.warn(
        `the queue ${queue} exists as a ${type} queue: it is used as it is (AMQP_QUEUE_TYPE=${configured} applies to the ` +
          'queues authstream creates; docs/operations.md, "Queue type", says how to move it to another)',
        { queue, type, configured },
      );
      return true;
    },
  };
}

/**
 * Declares `queue` as `types` says. A refusal that names the queue's existing type is rethrown saying that the next
 * attempt (the lease's next poll, the consumer's next session: a refusal closes the channel) takes the queue as it
 * is; any other 406 with what to do about it.
 */
async function declaring<T>(queue: string, types: QueueTypes, declare: (type: QueueType) => Promise<T>): Promise<T> {
  const type = types.of(queue);
  try {
    return await declare(type);
  } catch (error) {
    if (errorCode(error) !== 406) throw error;
    const learned = types.learn(queue, error);
    throw new Error(
      `${String(error)}: the queue ${queue} exists with other arguments than authstream declares for a ${type} queue` +
        (learned
          ? `; the next attempt declares it as a ${types.of(queue)} queue`
          : ': move its messages away, delete it and let authstream declare it again (docs/operations.md, "Queue type")'),
      { cause: error },
    );
  }
}

/** A consumer's queue, its dead-letter exchange and queue, and its bindings to the events exchange. */
export async function assertQueueTopology(
  ch: ConfirmChannel,
  exchange: string,
  spec: QueueSpec,
  types: QueueTypes = queueTypes('quorum'),
): Promise<void> {
  const dlx = deadLetterExchangeName(spec.queue);
  const dlq = deadLetterQueueName(spec.queue);
  await assertEventsExchange(ch, exchange);
  await ch.assertExchange(dlx, 'fanout', { durable: true, autoDelete: false });
  await declaring(dlq, types, (type) => ch.assertQueue(dlq, { durable: true, arguments: typeArguments(type) }));
  await ch.bindQueue(dlq, dlx, '');
  await declaring(spec.queue, types, (type) =>
    ch.assertQueue(spec.queue, { durable: true, deadLetterExchange: dlx, arguments: typeArguments(type) }),
  );
  for (const pattern of spec.bindings) await ch.bindQueue(spec.queue, exchange, pattern);
}

/** A retry queue: its messages wait `delayMs`, then the broker moves them back to `queue` (never dropping one). */
async function assertRetryQueue(ch: ConfirmChannel, retryQueue: string, queue: string, delayMs: number, types: QueueTypes): Promise<void> {
  await declaring(retryQueue, types, (type) =>
    ch.assertQueue(retryQueue, {
      durable: true,
      arguments: {
        'x-message-ttl': delayMs,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': queue,
        ...typeArguments(type, 'at-least-once'),
      },
    }),
  );
}

const errorCode = (error: unknown): number | undefined => (error as { code?: number } | null)?.code;

export function createAmqpBus(options: AmqpBusOptions): EventBus & { readonly connection: AmqpConnection } {
  const { exchange, log } = options;
  const connection = new AmqpConnection({ url: options.url, name: options.name ?? 'authstream', log });
  connection.start();
  const leasePollMs = options.leasePollMs ?? 2_000;
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const types = queueTypes(options.queueType ?? 'quorum', log);
  let leaseHeld = false;
  let standbyLogged = false;

  async function openLease(model: ChannelModel, name: string): Promise<Lease> {
    const ch = await model.createConfirmChannel();
    ch.on('error', (error: Error) => {
      if (errorCode(error) !== 405) log.warn('amqp relay channel error', { error: String(error) });
    });
    const lost = new Promise<void>((resolve) => ch.once('close', () => resolve()));
    try {
      await assertEventsExchange(ch, exchange);
      await ch.assertQueue(name, { exclusive: true, durable: false, autoDelete: false });
      for (const spec of options.declareQueues ?? []) await assertQueueTopology(ch, exchange, spec, types);
    } catch (error) {
      await ch.close().catch(() => {});
      throw error;
    }
    leaseHeld = true;
    void lost.then(() => (leaseHeld = false));
    return {
      // A channel that closes fails every publish still awaiting its confirm (amqplib calls each callback with
      // "channel closed"), so no race against `lost` is needed: one per publish would pile reactions onto a promise
      // that lives as long as the lease.
      publish: (message) => publishConfirmed(ch, exchange, message.routingKey, message.body, publishOptions(message)),
      lost,
      release: async () => {
        await ch.close().catch(() => {});
      },
    };
  }

  return {
    kind: 'amqp',
    connection,

    async lease(name, signal) {
      for (;;) {
        const model = await connection.current(signal);
        try {
          const lease = await openLease(model, name);
          log.info('relay lease acquired: this process publishes', { lease: name });
          standbyLogged = false;
          return lease;
        } catch (error) {
          if (signal.aborted) throw new BusClosedError('aborted');
          if (errorCode(error) === 405) {
            if (!standbyLogged) log.info('relay standby: another process holds the lease', { lease: name });
            standbyLogged = true;
          } else {
            log.warn('relay lease: could not declare the lock queue or the queues it declares first', {
              lease: name,
              error: String(error),
            });
          }
          await sleep(leasePollMs, signal);
        }
      }
    },

    async consume(spec: QueueSpec, handler: DeliveryHandler) {
      const stopping = new AbortController();
      let inFlight = 0;
      const dlx = deadLetterExchangeName(spec.queue);

      async function settle(ch: ConfirmChannel, msg: ConsumeMessage, retryQueues: Set<string>): Promise<void> {
        const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
        const attemptHeader = Number(headers[HEADER_ATTEMPT]);
        const attempt = Number.isInteger(attemptHeader) && attemptHeader > 0 ? attemptHeader : 1;
        const routingKey =
          typeof headers[HEADER_ROUTING_KEY] === 'string' ? (headers[HEADER_ROUTING_KEY] as string) : msg.fields.routingKey;
        const messageId = msg.properties.messageId ? String(msg.properties.messageId) : '';
        let verdict: Verdict;
        try {
          verdict = await handler({ messageId, routingKey, body: msg.content, attempt });
        } catch (error) {
          verdict = { action: 'retry', delayMs: 1_000, reason: String(error) };
        }
        try {
          if (verdict.action === 'ack') {
            ch.ack(msg);
          } else if (verdict.action === 'retry') {
            const queue = retryQueueName(spec.queue, verdict.delayMs);
            if (!retryQueues.has(queue)) {
              await assertRetryQueue(ch, queue, spec.queue, verdict.delayMs, types);
              retryQueues.add(queue);
            }
            await publishConfirmed(ch, '', queue, msg.content, {
              ...copyProperties(msg),
              headers: {
                ...ownHeaders(headers),
                [HEADER_ATTEMPT]: attempt + 1,
                [HEADER_ROUTING_KEY]: routingKey,
                [HEADER_ERROR]: verdict.reason.slice(0, 500),
              },
            });
            ch.ack(msg);
            log.warn('delivery failed, retry scheduled', {
              queue: spec.queue,
              messageId,
              attempt,
              delayMs: verdict.delayMs,
              reason: verdict.reason,
            });
          } else {
            await publishConfirmed(ch, dlx, routingKey, msg.content, {
              ...copyProperties(msg),
              headers: {
                ...ownHeaders(headers),
                [HEADER_ATTEMPT]: attempt,
                [HEADER_ROUTING_KEY]: routingKey,
                [HEADER_ERROR]: verdict.reason.slice(0, 500),
              },
            });
            ch.ack(msg);
            log.error('message dead-lettered', {
              queue: deadLetterQueueName(spec.queue),
              messageId,
              routing: routingKey,
              attempt,
              reason: verdict.reason,
            });
          }
        } catch (error) {
          // The channel went away: the broker requeues the unacked message and it is delivered again.
          log.warn('could not settle a delivery; the broker will redeliver it', { queue: spec.queue, messageId, error: String(error) });
        }
      }

      const sessions = connection.runSessions(`consumer ${spec.queue}`, stopping.signal, async (model) => {
        const ch = await model.createConfirmChannel();
        ch.on('error', (error: Error) => log.warn('amqp consumer channel error', { queue: spec.queue, error: String(error) }));
        let isClosed = false;
        const closed = new Promise<void>((resolve) => ch.once('close', () => ((isClosed = true), resolve())));
        try {
          await assertQueueTopology(ch, exchange, spec, types);
          await ch.prefetch(spec.concurrency);
          const retryQueues = new Set<string>();
          const { consumerTag } = await ch.consume(spec.queue, (msg) => {
            if (msg === null) {
              log.warn('consumer cancelled by the broker (queue deleted?)', { queue: spec.queue });
              void ch.close().catch(() => {});
              return;
            }
            inFlight++;
            void settle(ch, msg, retryQueues).finally(() => inFlight--);
          });
          log.info('consuming', { queue: spec.queue, bindings: spec.bindings });
          const stopped = new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
          await Promise.race([closed, stopped]);
          if (!isClosed) {
            await ch.cancel(consumerTag).catch(() => {});
            for (const deadline = Date.now() + drainTimeoutMs; inFlight > 0 && !isClosed && Date.now() < deadline;) {
              await new Promise((r) => setTimeout(r, 20));
            }
          }
        } finally {
          if (!isClosed) await ch.close().catch(() => {});
        }
      });

      return {
        async close() {
          stopping.abort();
          await sessions;
        },
      };
    },

    status: () => ({ bus: 'amqp', connected: connection.connected, connections: connection.connectionCount, relayLeaseHeld: leaseHeld }),

    close: () => connection.close(),
  };
}
