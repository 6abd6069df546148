// The composition root: picks adapters from the configuration, then starts this process's roles — the api (the
// read-model projections and HTTP), the email consumer and the relay — and closes them in reverse order. `npm start`
// runs all three; `api` and `worker` (relay + email) run apart, see main.ts. With AMQP_URL the bus is RabbitMQ,
// otherwise an in-process bus carrying the same relay and consumer code.
import { createServer } from 'node:http';
import express from 'express';
import path from 'node:path';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import type { EventStore } from './store/port.js';
import type { ReadModel } from './readmodel/port.js';
import { openEventStore, openReadModel } from './adapters.js';
import { loadSecretKey } from './crypto/secret-key.js';
import { openAccountKeys, sealedStore } from './erasure/open.js';
import { ensurePrivateDir, securePrivateTree } from './data-dir.js';
import { argon2Hasher, type PasswordHasher } from './crypto/passwords.js';
import type { EventBus } from './amqp/bus.js';
import { createInProcessBus } from './amqp/in-process.js';
import type { Relay } from './amqp/relay.js';
import { closeServer, listen, type RunningRole, type ServiceContext } from './roles/context.js';
import { startApi } from './roles/api.js';
import type { UseCases } from './commands/use-cases.js';
import { emailQueueSpec, startEmailConsumer } from './roles/email.js';
import { startRelay } from './roles/relay.js';
import { accessLog } from './http/access-log.js';
import { brokerCheck, eventStoreCheck, readiness, type Readiness } from './observability/health.js';
import { metrics } from './observability/metrics.js';
import { metricsServer, observabilityRouter } from './observability/routes.js';
import { timedEventStore } from './observability/timed-store.js';
import { isMemoryReadModel } from './readmodel/memory.js';
import { EmbeddedEventStore } from './store/embedded/store.js';
import { replayInShares } from './projections/partitioned-replay.js';
import { logIdOf, openReadModelSnapshots, readSnapshotFiles, type ReadModelSnapshots } from './readmodel/memory-snapshots.js';

export interface RunningService {
  /** The HTTP API; in a worker (no `http` role), a server answering only GET /health/* (and /metrics). */
  readonly url: string;
  /** The METRICS_PORT listener, when configured. */
  readonly metricsUrl?: string;
  readonly store: EventStore;
  readonly readModel: ReadModel;
  /** The relay, when this process runs the `relay` role. */
  readonly relay?: Relay;
  /** The use cases, when this process runs the `http` role. */
  readonly useCases?: UseCases;
  readonly bus?: EventBus;
  /** The in-memory read model's snapshots (an `http` role without MONGODB_URI): how it started, write one now. */
  readonly snapshots?: ReadModelSnapshots;
  /** Closes the roles and the adapters; `reason` (e.g. the signal) goes into the `shutting down` log line. */
  close(reason?: string): Promise<void>;
}

/** http: the API (and the read-model projections); relay: events → bus; email: the email consumer. */
export type Role = 'http' | 'relay' | 'email';
export const ALL_ROLES: readonly Role[] = ['http', 'relay', 'email'];

export interface ServiceOverrides {
  readonly log?: Logger;
  readonly now?: () => Date;
  /** Default: argon2id at the configured cost. */
  readonly hasher?: PasswordHasher;
  /** Default: all three. Without AMQP_URL, relay and email must run together (the in-process bus). */
  readonly roles?: readonly Role[];
  /** A full replay of a log of this many events or more runs on two threads (default SHARED_REPLAY_EVENTS; tests: 0). */
  readonly sharedReplayEvents?: number;
}

export async function startService(config: Config, overrides: ServiceOverrides = {}): Promise<RunningService> {
  const log = overrides.log ?? createLogger(config.LOG_LEVEL, { format: config.LOG_FORMAT });
  const roles = new Set(overrides.roles ?? ALL_ROLES);
  if (!config.AMQP_URL && roles.has('relay') !== roles.has('email')) {
    throw new Error('without AMQP_URL the relay and the email consumer share an in-process bus: run them in one process');
  }
  const opened: { close(): Promise<void> | void }[] = [];
  const closeAll = async () => {
    for (const { close } of opened.reverse()) await close();
  };
  try {
    // DATA_DIR holds secrets (#10.8): 0700, every file in it 0600, narrowed here where they were wider; made here when
    // the embedded log needs it, before anything could make it with default modes.
    await securePrivateTree(config.DATA_DIR, log);
    if (!config.EVENTSTORE_URL) await ensurePrivateDir(config.DATA_DIR);
    const secretKey = config.SECRET_KEY ?? (await loadSecretKey(config.DATA_DIR, log));
    const accountKeys = await openAccountKeys(config, secretKey);
    if (config.EVENTSTORE_URL && !config.MONGODB_URI) {
      log.warn(
        `the accounts' keys are kept under ${config.DATA_DIR}/keys: every instance on this EventStoreDB must share that ` +
          'directory, or set MONGODB_URI (keys in MongoDB) to share them',
      );
    }
    // The in-memory read model's snapshot is read while the log opens (whose check runs on other threads meanwhile).
    const memoryModel = !config.MONGODB_URI && roles.has('http');
    const snapshotFiles = memoryModel && !config.FULL_REPLAY ? readSnapshotFiles(config.DATA_DIR) : undefined;
    snapshotFiles?.catch(() => undefined);
    // Personal data is sealed per account above the timing decorator: what is timed is the store, what is stored is sealed.
    const rawStore = await openEventStore(config);
    const store = sealedStore(timedEventStore(rawStore), accountKeys);
    opened.push({ close: () => store.close() });
    const readModel = await openReadModel(config);
    opened.push({ close: () => readModel.close() });
    // The in-memory read model starts from its snapshot (then the projections replay only the log after it), and is
    // snapshotted again while it runs and at close, once the projections stopped (closed in reverse order).
    let snapshots: ReadModelSnapshots | undefined;
    if (roles.has('http') && isMemoryReadModel(readModel)) {
      snapshots = await openReadModelSnapshots({
        dir: config.DATA_DIR,
        model: readModel,
        store,
        logId: logIdOf(rawStore),
        log,
        fullReplay: config.FULL_REPLAY,
        everyEvents: config.READ_MODEL_SNAPSHOT_EVENTS,
        everySeconds: config.READ_MODEL_SNAPSHOT_SECONDS,
        ...(snapshotFiles ? { preread: snapshotFiles } : {}),
      });
      const opening = snapshots;
      opened.push({ close: () => opening.close() });
      // Without a usable snapshot the whole log is replayed straight from the file (a big one on two threads); the
      // runner then reads only what that did not reach. A skip list is the runner's to apply and log, event by event.
      if (!snapshots.startedFrom.loaded && rawStore instanceof EmbeddedEventStore && config.READ_MODEL_SKIP_EVENTS.length === 0) {
        const { DATA_DIR, DATA_KEY, MONGODB_URI, MONGODB_DB } = config;
        const source = { config: { DATA_DIR, DATA_KEY, MONGODB_URI, MONGODB_DB }, secretKey };
        const minEvents = overrides.sharedReplayEvents;
        await replayInShares({
          model: readModel,
          store: rawStore,
          keys: { store: accountKeys, source },
          log,
          ...(minEvents === undefined ? {} : { minEvents }),
        });
      }
    }
    const hasher =
      overrides.hasher ??
      argon2Hasher({
        memoryKiB: config.ARGON2_MEMORY_KIB,
        timeCost: config.ARGON2_TIME_COST,
        parallelism: config.ARGON2_PARALLELISM,
        maxQueue: config.ARGON2_MAX_QUEUE,
      });
    const ctx: ServiceContext = { config, log, now: overrides.now ?? (() => new Date()), secretKey, store, accountKeys, readModel, hasher };

    const running: RunningRole[] = [];
    const health = () => Object.assign({ status: 'ok', roles: [...roles] }, ...running.map((r) => r.health()), bus ? bus.status() : {});
    // Checked at each GET /health/ready: the store, each role's own checks, the broker where RabbitMQ is used.
    const ready = (): Promise<Readiness> =>
      readiness([eventStoreCheck(store), ...running.flatMap((r) => r.checks ?? []), ...(bus?.kind === 'amqp' ? [brokerCheck(bus)] : [])]);
    if (config.METRICS_TOKEN || config.METRICS_PORT !== undefined) metrics.enableProcessMetrics();

    let useCases: UseCases | undefined;
    let url: string;
    if (roles.has('http')) {
      const api = await startApi(ctx, health, ready);
      opened.push(api);
      running.push(api);
      url = api.url;
      useCases = api.useCases;
    } else {
      url = await startWorkerHealth(config, log, { health, ready }, opened);
    }

    let bus: EventBus | undefined;
    let relay: Relay | undefined;
    if (roles.has('relay') || roles.has('email')) {
      bus = await openBus(config, log, [...roles]);
      opened.push({ close: () => bus!.close() });
      const amqp = bus.kind === 'amqp' ? bus : undefined;
      if (amqp) opened.push({ close: metrics.watchBroker(() => amqp.status().connected === true) });
      // The consumer first, so the in-process bus has it bound before the relay publishes anything.
      if (roles.has('email')) {
        const email = await startEmailConsumer(ctx, bus);
        opened.push(email);
        running.push(email);
      }
      if (roles.has('relay')) {
        const started = startRelay(ctx, bus);
        opened.push(started);
        running.push(started);
        relay = started.relay;
      }
    }

    let metricsUrl: string | undefined;
    if (config.METRICS_PORT !== undefined) {
      const server = metricsServer();
      metricsUrl = await listen({ ...config, PORT: config.METRICS_PORT }, server);
      opened.push({ close: () => closeServer(server) });
    }

    log.info(`authstream listening on ${url}`, {
      roles: [...roles],
      eventStore: config.EVENTSTORE_URL ? 'eventstoredb' : 'embedded',
      readModel: config.MONGODB_URI ? 'mongodb' : 'memory',
      bus: bus?.kind ?? 'none',
      ...(metricsUrl ? { metrics: `${metricsUrl}/metrics` } : {}),
    });
    const close = async (reason?: string) => {
      log.info('shutting down', reason ? { reason } : {});
      await closeAll();
      log.info('stopped');
    };
    return {
      url,
      ...(metricsUrl ? { metricsUrl } : {}),
      store,
      readModel,
      ...(relay ? { relay } : {}),
      ...(bus ? { bus } : {}),
      ...(useCases ? { useCases } : {}),
      ...(snapshots ? { snapshots } : {}),
      close,
    };
  } catch (error) {
    await closeAll().catch(() => {});
    throw error;
  }
}

async function openBus(config: Config, log: Logger, roles: readonly Role[]): Promise<EventBus> {
  if (!config.AMQP_URL) return createInProcessBus({ log, deadLetterFile: path.join(config.DATA_DIR, 'email-dead-letters.jsonl') });
  // amqplib is loaded only with AMQP_URL: the embedded default's start-up need not pay for it.
  const { createAmqpBus } = await import('./amqp/amqp-bus.js');
  return createAmqpBus({
    url: config.AMQP_URL,
    exchange: config.AMQP_EXCHANGE,
    log,
    name: `authstream ${roles.join('+')} ${process.pid}`,
    declareQueues: [emailQueueSpec({ config })],
    queueType: config.AMQP_QUEUE_TYPE,
  });
}

/** A worker serves only its health (and, with METRICS_TOKEN, its metrics), for orchestrators. */
async function startWorkerHealth(
  config: Config,
  log: Logger,
  deps: { health: () => Record<string, unknown>; ready: () => Promise<Readiness> },
  opened: { close(): Promise<void> | void }[],
): Promise<string> {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(accessLog(log));
  app.use(observabilityRouter({ ...deps, metricsToken: config.METRICS_TOKEN }));
  app.use((_req, res) => void res.status(404).json({ detail: 'Not found.' }));
  const server = createServer(app);
  const url = await listen(config, server);
  opened.push({ close: () => closeServer(server) });
  return url;
}
