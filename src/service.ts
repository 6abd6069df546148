// The composition root: picks adapters from the configuration, catches the read model up with the log, then serves
// HTTP, relays account events to the bus and runs the email consumer. `npm start` calls startService(); tests call
// it in-process. With AMQP_URL the bus is RabbitMQ, otherwise an in-process bus running the same relay and consumer.
// Roles let one process run only part: `api` (HTTP) and `worker` (relay + email consumer), see main.ts.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { emailQueue, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import type { EventStore } from './store/port.js';
import type { ReadModel } from './readmodel/port.js';
import { openEventStore, openReadModel } from './adapters.js';
import { SubscriptionRunner } from './projections/runner.js';
import { fileCheckpoints, readModelCheckpoints } from './projections/checkpoints.js';
import { usersProjection } from './projections/users.projection.js';
import { accountService } from './commands/accounts.js';
import { argon2Hasher } from './crypto/passwords.js';
import { jwtService } from './crypto/jwt.js';
import { loadSecretKey } from './crypto/secret-key.js';
import { createApp } from './http/app.js';
import { createMailer } from './email/mailer.js';
import { emailBindings, emailDeliveryHandler } from './email/consumer.js';
import { openFileSentStore, openMongoSentStore, type SentStore } from './email/sent.js';
import type { EventBus, Subscription } from './amqp/bus.js';
import { createAmqpBus } from './amqp/amqp-bus.js';
import { createInProcessBus } from './amqp/in-process.js';
import { Relay } from './amqp/relay.js';

/** How long close() lets requests in flight finish. */
const SHUTDOWN_GRACE_MS = 5_000;

export interface RunningService {
  /** The HTTP API; in a worker (no `http` role), a server answering only GET /health. */
  readonly url: string;
  readonly store: EventStore;
  readonly readModel: ReadModel;
  /** The relay, when this process runs the `relay` role. */
  readonly relay?: Relay;
  readonly bus?: EventBus;
  close(): Promise<void>;
}

/** http: the API (and the read-model projections); relay: events → bus; email: the email consumer. */
export type Role = 'http' | 'relay' | 'email';
export const ALL_ROLES: readonly Role[] = ['http', 'relay', 'email'];

export interface ServiceOverrides {
  readonly log?: Logger;
  readonly now?: () => Date;
  /** Default: all three. Without AMQP_URL, relay and email must run together (the in-process bus). */
  readonly roles?: readonly Role[];
}

export async function startService(config: Config, overrides: ServiceOverrides = {}): Promise<RunningService> {
  const log = overrides.log ?? createLogger(config.LOG_LEVEL);
  const now = overrides.now ?? (() => new Date());
  const secretKey = config.SECRET_KEY ?? (await loadSecretKey(config.DATA_DIR, log));
  const store = await openEventStore(config);
  const readModel = await openReadModel(config);

  const roles = new Set(overrides.roles ?? ALL_ROLES);
  if (!config.AMQP_URL && roles.has('relay') !== roles.has('email')) {
    throw new Error('without AMQP_URL the relay and the email consumer share an in-process bus: run them in one process');
  }
  const closers: (() => Promise<void> | void)[] = [];

  // HTTP: projections first, so the read model has caught up before the first request.
  let projections: SubscriptionRunner | null = null;
  if (roles.has('http')) {
    projections = new SubscriptionRunner({
      name: 'read-model',
      store,
      checkpoints: readModelCheckpoints(readModel),
      handle: usersProjection(readModel),
      log,
    });
    await projections.start();
  }

  // The bus, the email consumer (subscribed before the relay starts, so the in-process bus has it bound), the relay.
  // Checkpoints of effects outside the read model live under DATA_DIR unless the read model is shared (MongoDB).
  const checkpoints = config.MONGODB_URI ? readModelCheckpoints(readModel) : fileCheckpoints(config.DATA_DIR);
  let bus: EventBus | undefined;
  let relay: Relay | undefined;
  let emails: Subscription | undefined;
  let sent: SentStore | undefined;
  const emailSpec = {
    queue: emailQueue(config),
    bindings: emailBindings,
    concurrency: config.AMQP_URL ? config.EMAIL_CONCURRENCY : 1,
  };
  if (roles.has('relay') || roles.has('email')) {
    bus = config.AMQP_URL
      ? createAmqpBus({
          url: config.AMQP_URL,
          exchange: config.AMQP_EXCHANGE,
          log,
          name: `authstream ${[...roles].join('+')} ${process.pid}`,
          declareQueues: [emailSpec],
        })
      : createInProcessBus({ log, deadLetterFile: path.join(config.DATA_DIR, 'email-dead-letters.jsonl') });
  }
  if (bus && roles.has('email')) {
    sent = config.MONGODB_URI ? await openMongoSentStore(config.MONGODB_URI, config.MONGODB_DB) : openFileSentStore(config.DATA_DIR);
    const mailer = createMailer({
      smtpUrl: config.SMTP_URL,
      mailDir: path.join(config.DATA_DIR, 'mail'),
      from: config.DEFAULT_FROM_EMAIL,
      log,
    });
    closers.push(() => mailer.close());
    emails = await bus.consume(
      emailSpec,
      emailDeliveryHandler({
        config,
        secretKey,
        store,
        now,
        mailer,
        sent,
        log,
        maxAttempts: config.EMAIL_MAX_ATTEMPTS,
        retryDelayMs: config.EMAIL_RETRY_DELAY_MS,
        retryMaxDelayMs: config.EMAIL_RETRY_MAX_DELAY_MS,
      }),
    );
  }
  if (bus && roles.has('relay')) {
    relay = new Relay({
      bus,
      store,
      checkpoints,
      // The in-process relay keeps the old email runner's checkpoint name: it is the embedded email path.
      name: bus.kind === 'amqp' ? `relay-${config.AMQP_EXCHANGE}` : 'email',
      lease: `${config.AMQP_EXCHANGE}.relay-lock`,
      source: config.CLOUDEVENTS_SOURCE,
      log,
    });
    relay.start();
  }

  const health = () => ({
    status: 'ok',
    roles: [...roles],
    ...(projections ? { readModelPosition: String(projections.position?.commit ?? 'none') } : {}),
    ...(relay ? { relayPosition: String(relay.position?.commit ?? 'none'), relayActive: relay.active, published: relay.published } : {}),
    ...(bus ? bus.status() : {}),
  });

  let server: Server;
  if (projections) {
    const accounts = accountService({
      config,
      secretKey,
      store,
      readModel,
      hasher: argon2Hasher({ memoryKiB: config.ARGON2_MEMORY_KIB, timeCost: config.ARGON2_TIME_COST, parallelism: config.ARGON2_PARALLELISM }),
      now,
      newId: randomUUID,
      readModelAt: (position) => projections.waitFor(position, config.READ_YOUR_WRITES_TIMEOUT_MS),
    });
    const jwt = jwtService(secretKey, { access: config.ACCESS_TOKEN_LIFETIME, refresh: config.REFRESH_TOKEN_LIFETIME }, now);
    const app = createApp({ config, log, accounts, readModel, jwt, health });
    server = await new Promise((resolve, reject) => {
      const s = app.listen(config.PORT, config.HOST, (error?: Error) => (error ? reject(error) : resolve(s)));
    });
  } else {
    // A worker serves only its health, for orchestrators.
    server = createServer((req, res) => {
      const ok = req.method === 'GET' && (req.url === '/health' || req.url === '/health/');
      res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(ok ? health() : { detail: 'Not found.' }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.PORT, config.HOST, () => resolve());
    });
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  log.info(`authstream listening on ${url}`, {
    roles: [...roles],
    eventStore: config.EVENTSTORE_URL ? 'eventstoredb' : 'embedded',
    readModel: config.MONGODB_URI ? 'mongodb' : 'memory',
    bus: bus?.kind ?? 'none',
  });

  return {
    url,
    store,
    readModel,
    ...(relay ? { relay } : {}),
    ...(bus ? { bus } : {}),
    async close() {
      // Stop accepting, let requests in flight finish (bounded), then cut what is left.
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      // Relay first (nothing new reaches the consumer), then the consumer settles what it holds, then the bus.
      const relayStopped = relay?.stop();
      if (bus?.kind === 'in-process') await bus.close(); // interrupts an in-process retry wait that holds the relay
      await relayStopped;
      await emails?.close();
      await bus?.close();
      for (const close of closers) await close();
      await sent?.close();
      await projections?.stop();
      await readModel.close();
      await store.close();
    },
  };
}
