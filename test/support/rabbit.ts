// The local RabbitMQ (127.0.0.1:5672) for tests: unique names per test, a collector queue that records everything
// published to an exchange, clean-up of what a test declared, and rabbitmqctl for fault injection.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';

export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** e.g. test.ab12cd34 — every test's exchange and queues start with it. */
export const uniqueName = (prefix = 'authstream-test'): string => `${prefix}.${randomBytes(4).toString('hex')}`;

/** Whether something listens on the broker's port (tests skip with a reason otherwise). */
export function brokerReachable(timeoutMs = 1_000): Promise<boolean> {
  const { hostname, port } = new URL(AMQP_URL);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 5672) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

const run = promisify(execFile);

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await run('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

/** Waits until the broker accepts AMQP connections again (after start_app). */
export async function waitForBroker(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await amqp.connect(AMQP_URL, { timeout: 2_000 });
      await c.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`broker not back within ${timeoutMs} ms: ${String(error)}`, { cause: error });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Opens a connection, runs `fn` with a channel, closes. The channel is closed first: closing only the connection
 * can drop messages published just before.
 */
export async function withChannel<T>(fn: (ch: amqp.Channel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(AMQP_URL, { timeout: 5_000 });
  conn.on('error', () => {});
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => {});
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => {});
    }
  } finally {
    await conn.close().catch(() => {});
  }
}

/** Declares the events exchange and a durable queue bound to it with '#', before the service publishes anything. */
export async function declareCollector(exchange: string, queue: string): Promise<void> {
  await withChannel(async (ch) => {
    await ch.assertExchange(exchange, 'topic', { durable: true });
    await ch.assertQueue(queue, { durable: true });
    await ch.bindQueue(queue, exchange, '#');
  });
}

export interface Collected {
  readonly messageId: string;
  readonly routingKey: string;
  readonly properties: amqp.MessageProperties;
  readonly body: any;
}

function parseBody(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return content.toString('utf8');
  }
}

/** Takes every message currently in `queue` (acking them). */
export async function drain(queue: string, max = 100_000): Promise<Collected[]> {
  return withChannel(async (ch) => {
    const out: Collected[] = [];
    for (let i = 0; i < max; i++) {
      const msg = await ch.get(queue, { noAck: true });
      if (!msg) break;
      out.push({
        messageId: String(msg.properties.messageId),
        routingKey: msg.fields.routingKey,
        properties: msg.properties,
        body: parseBody(msg.content),
      });
    }
    return out;
  });
}

export async function messageCount(queue: string): Promise<number> {
  return withChannel(async (ch) => (await ch.checkQueue(queue)).messageCount);
}

/** Deletes the exchange and queues; missing ones are fine. */
export async function deleteTopology(exchanges: string[], queues: string[]): Promise<void> {
  await withChannel(async (ch) => {
    for (const q of queues) await ch.deleteQueue(q).catch(() => {});
  }).catch(() => {});
  // Each failed delete closes the channel, so one channel per exchange.
  for (const e of exchanges) await withChannel((ch) => ch.deleteExchange(e)).catch(() => {});
}

/** The queues the email consumer declares for `queue` (plus retry queues of the given delays). */
export function emailQueues(queue: string, retryDelays: number[] = []): string[] {
  return [queue, `${queue}.dlq`, ...retryDelays.map((d) => `${queue}.retry.${d}`)];
}

/** Every queue on the broker whose name starts with `prefix` (rabbitmqctl), to clean up retry queues. */
export async function queuesStartingWith(prefix: string): Promise<string[]> {
  const out = await rabbitmqctl('list_queues', '-q', '--no-table-headers', 'name');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => n.startsWith(prefix));
}

/** The type (quorum, classic …) of every queue whose name starts with `prefix`, by name (rabbitmqctl). */
export async function typesOnBroker(prefix: string): Promise<Record<string, string>> {
  const out = await rabbitmqctl('list_queues', '-q', '--no-table-headers', 'name', 'type');
  const rows = out.split('\n').map((l) => l.trim().split(/\s+/));
  return Object.fromEntries(rows.filter(([name, type]) => name?.startsWith(prefix) && type).map(([name, type]) => [name, type]));
}

export async function exchangesStartingWith(prefix: string): Promise<string[]> {
  const out = await rabbitmqctl('list_exchanges', '-q', '--no-table-headers', 'name');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((n) => n.startsWith(prefix));
}

/** Deletes every exchange and queue whose name starts with `prefix`. */
export async function cleanUp(prefix: string): Promise<void> {
  const [queues, exchanges] = await Promise.all([queuesStartingWith(prefix), exchangesStartingWith(prefix)]);
  await deleteTopology(exchanges, queues);
}
