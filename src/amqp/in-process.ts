// The in-process bus of the embedded default (no AMQP_URL): the relay's publish hands the message to every bound
// consumer in this process and resolves only once each has settled it (sent, skipped or dead-lettered), so the
// relay's checkpoint never passes an email that was not dealt with: nothing is lost across a crash, as on RabbitMQ.
// Retries wait in place (holding the relay back, like the old in-process email runner); dead letters are logged
// and appended to a JSON-lines file.
import path from 'node:path';
import type { Logger } from '../log.js';
import { ensurePrivateDir, writePrivateFile } from '../data-dir.js';
import {
  BusClosedError,
  sleep,
  topicMatches,
  type DeliveryHandler,
  type EventBus,
  type Lease,
  type OutgoingMessage,
  type QueueSpec,
  type Verdict,
} from './bus.js';

interface Bound {
  readonly spec: QueueSpec;
  readonly handler: DeliveryHandler;
  inFlight: number;
  /** Whether the queue's bindings match a routing key, by key (there is one key per event type). */
  readonly matches: Map<string, boolean>;
}

function bindsKey(bound: Bound, routingKey: string): boolean {
  let match = bound.matches.get(routingKey);
  if (match === undefined) {
    match = bound.spec.bindings.some((p) => topicMatches(p, routingKey));
    bound.matches.set(routingKey, match);
  }
  return match;
}

export interface InProcessBusOptions {
  readonly log: Logger;
  /** Where dead letters are appended (JSON lines); default: only logged. */
  readonly deadLetterFile?: string;
  /** Delay after a handler throws instead of returning a verdict. */
  readonly crashRetryMs?: number;
}

export interface InProcessBus extends EventBus {
  /** Dead letters of this process's lifetime (tests and /health). */
  readonly deadLetters: { queue: string; messageId: string; reason: string }[];
}

export function createInProcessBus(options: InProcessBusOptions): InProcessBus {
  const { log } = options;
  const queues = new Map<string, Bound>();
  const closing = new AbortController();
  const deadLetters: InProcessBus['deadLetters'] = [];

  async function deadLetter(queue: string, message: OutgoingMessage, reason: string, attempt: number): Promise<void> {
    deadLetters.push({ queue, messageId: message.messageId, reason });
    log.error('message dead-lettered', { queue, messageId: message.messageId, routing: message.routingKey, attempt, reason });
    if (!options.deadLetterFile) return;
    await ensurePrivateDir(path.dirname(options.deadLetterFile));
    const line = {
      at: new Date().toISOString(),
      queue,
      messageId: message.messageId,
      routing: message.routingKey,
      attempt,
      reason,
      body: message.body.toString('utf8'),
    };
    await writePrivateFile(options.deadLetterFile, `${JSON.stringify(line)}\n`, 'a');
  }

  async function deliver(bound: Bound, message: OutgoingMessage): Promise<void> {
    bound.inFlight++;
    try {
      for (let attempt = 1; ; attempt++) {
        if (closing.signal.aborted) throw new BusClosedError('bus closed');
        let verdict: Verdict;
        try {
          verdict = await bound.handler({ messageId: message.messageId, routingKey: message.routingKey, body: message.body, attempt });
        } catch (error) {
          verdict = { action: 'retry', delayMs: options.crashRetryMs ?? 1_000, reason: String(error) };
        }
        if (verdict.action === 'ack') return;
        if (verdict.action === 'dead-letter') return await deadLetter(bound.spec.queue, message, verdict.reason, attempt);
        log.warn('delivery failed, retrying', {
          queue: bound.spec.queue,
          messageId: message.messageId,
          attempt,
          delayMs: verdict.delayMs,
          reason: verdict.reason,
        });
        await sleep(verdict.delayMs, closing.signal);
      }
    } finally {
      bound.inFlight--;
    }
  }

  async function publish(message: OutgoingMessage): Promise<void> {
    if (closing.signal.aborted) throw new BusClosedError('bus closed');
    for (const bound of queues.values()) if (bindsKey(bound, message.routingKey)) await deliver(bound, message);
  }

  const binds = (routingKey: string): boolean => {
    for (const bound of queues.values()) if (bindsKey(bound, routingKey)) return true;
    return false;
  };

  const never = new Promise<void>((resolve) => closing.signal.addEventListener('abort', () => resolve(), { once: true }));

  return {
    kind: 'in-process',
    deadLetters,
    async lease(_name, signal): Promise<Lease> {
      if (signal.aborted || closing.signal.aborted) throw new BusClosedError('aborted');
      return { publish, lost: never, release: async () => {}, binds };
    },
    async consume(spec, handler) {
      if (queues.has(spec.queue)) throw new Error(`queue ${spec.queue} already has a consumer`);
      const bound: Bound = { spec, handler, inFlight: 0, matches: new Map() };
      queues.set(spec.queue, bound);
      return {
        async close() {
          queues.delete(spec.queue);
          for (let i = 0; bound.inFlight > 0 && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
        },
      };
    },
    status: () => ({ bus: 'in-process', deadLetters: deadLetters.length }),
    async close() {
      closing.abort(new BusClosedError('bus closed'));
    },
  };
}
