// The api role: the read-model projections (caught up before the first request), the write side, and HTTP.
import { createServer } from 'node:http';
import { SubscriptionRunner } from '../projections/runner.js';
import { readModelCheckpoints } from '../projections/checkpoints.js';
import { readModelProjection } from '../projections/read-model.projection.js';
import { isMemoryReadModel } from '../readmodel/memory.js';
import { isVersionedReadModel, readModelSwitch } from '../projections/read-model-switch.js';
import type { UseCases } from '../commands/use-cases.js';
import { composeUseCases, configuredJwt } from '../commands/compose.js';
import { emailRequestProcessor } from '../commands/mailbox.js';
import { fileCheckpoints } from '../projections/checkpoints.js';
import { createThrottles } from '../throttle.js';
import { loadJwtKeys } from '../crypto/jwt-keys.js';
import { createApp } from '../http/app.js';
import type { Reply } from '../http/endpoint.js';
import { MAX_LAG_EVENTS, readModelCheck, subscriptionCheck, type Readiness } from '../observability/health.js';
import { metrics } from '../observability/metrics.js';
import { closeServer, listen, type RunningRole, type ServiceContext } from './context.js';

export interface ApiRole extends RunningRole {
  readonly url: string;
  /** The write side this process serves, for in-process tools (tests, an operator's script). */
  readonly useCases: UseCases;
}

export async function startApi(
  ctx: ServiceContext,
  health: () => Record<string, unknown>,
  ready?: () => Promise<Readiness>,
): Promise<ApiRole> {
  const { config, log, now, secretKey, store, readModel, hasher } = ctx;
  // Before anything starts: a bad key file stops the service with a message naming the setting.
  const jwtKeys = await loadJwtKeys(config);
  if (config.READ_MODEL_SKIP_EVENTS.length > 0) {
    log.warn(
      `READ_MODEL_SKIP_EVENTS: the read model passes over the events at positions ${config.READ_MODEL_SKIP_EVENTS.join(', ')}; ` +
        'what they would have changed is missing from it',
      { positions: config.READ_MODEL_SKIP_EVENTS },
    );
  }
  if (config.EMAIL_REQUEST_SKIP_EVENTS.length > 0) {
    log.warn(
      `EMAIL_REQUEST_SKIP_EVENTS: email requests at positions ${config.EMAIL_REQUEST_SKIP_EVENTS.join(', ')} are passed over; ` +
        'their emails are not sent',
      { positions: config.EMAIL_REQUEST_SKIP_EVENTS },
    );
  }
  // On MongoDB the instance follows the read model's version pointer (a rebuild switches it): see read-model-switch.ts.
  const versions = isVersionedReadModel(readModel)
    ? readModelSwitch({ model: readModel, store, log, skip: new Set(config.READ_MODEL_SKIP_EVENTS) })
    : null;
  const projections = new SubscriptionRunner({
    name: 'read-model',
    store,
    checkpoints: readModelCheckpoints(readModel),
    handle: versions ? versions.guard(readModelProjection(readModel)) : readModelProjection(readModel),
    log,
    skip: new Set(config.READ_MODEL_SKIP_EVENTS),
    skipSetting: 'READ_MODEL_SKIP_EVENTS',
    // In memory a checkpoint costs nothing: stored with every event, so a snapshot of the model is exact at any time.
    // In MongoDB it is a write: stored in batches (a restart redoes at most a batch, which the guards absorb).
    ...(isMemoryReadModel(readModel) ? { checkpointEvery: { events: 1 } } : {}),
  });
  // Resolves at an event it cannot read too: the service then starts, says so in /health, and answers 503.
  await projections.start();
  versions?.follow(() => projections.position);
  const unwatch = metrics.watchSubscription('read-model', projections);

  const jwt = configuredJwt(config, secretKey, now, jwtKeys);
  const { deps, useCases: cases } = composeUseCases({
    config,
    store,
    accountKeys: ctx.accountKeys,
    readModel,
    hasher,
    now,
    secretKey,
    jwt,
    readModelAt: (position) => projections.waitFor(position, config.READ_YOUR_WRITES_TIMEOUT_MS),
  });
  const { accounts, mailboxes } = deps;
  // Email requests made with just an address become account commands here, after the request was answered.
  const emailRequestRunner = new SubscriptionRunner({
    name: 'email-requests',
    store,
    // Durable where the read model is not: a restart must not ask every account again.
    checkpoints: config.MONGODB_URI ? readModelCheckpoints(readModel) : fileCheckpoints(config.DATA_DIR),
    handle: emailRequestProcessor({
      mailboxes,
      execute: accounts.execute,
      window: config.EMAIL_REQUEST_WINDOW,
      now,
      emailConfirmationKeys: { secret: secretKey, lifetimeSeconds: config.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS * 86_400 },
    }),
    log,
    skip: new Set(config.EMAIL_REQUEST_SKIP_EVENTS),
    skipSetting: 'EMAIL_REQUEST_SKIP_EVENTS',
  });
  // Not waited for: with no checkpoint of its own (a log imported, or written by another tool) it reads the whole log,
  // ~2 minutes at 10M events, and nothing has to wait for it (a request is answered before its email is sent anyway).
  await emailRequestRunner.startInBackground((error) =>
    log.error('email-requests: catching up with the log failed; email requests are not handled until a restart', {
      error: String(error),
    }),
  );
  // Throttle counters live in the read-model database when it is shared, so every instance counts together.
  const throttleStore = config.MONGODB_URI
    ? await new (await import('mongodb')).MongoClient(config.MONGODB_URI, { serverSelectionTimeoutMS: 3_000 }).connect()
    : null;
  const throttles = createThrottles(config, throttleStore ? { client: throttleStore, dbName: config.MONGODB_DB } : undefined);
  const app = createApp({
    config,
    log,
    useCases: cases,
    readModel,
    jwt,
    throttles,
    health,
    ...(ready ? { ready } : {}),
    gate: () => readModelStopped(projections),
  });

  const server = createServer(app);
  const url = await listen(config, server);
  return {
    url,
    useCases: cases,
    health: () => {
      const stopped = projections.stoppedAt;
      return {
        readModelPosition: String(projections.position?.commit ?? 'none'),
        ...(stopped
          ? {
              readModelStoppedAt: {
                position: stopped.position,
                streamId: stopped.streamId,
                eventType: stopped.eventType,
                reason: stopped.reason,
              },
            }
          : {}),
      };
    },
    // Beyond READ_YOUR_WRITES_TIMEOUT_MS of lag, writes would answer 503: not ready.
    checks: [
      readModelCheck(() => readModel.loadCheckpoint('read-model')),
      subscriptionCheck('readModelProjection', projections, { events: MAX_LAG_EVENTS, seconds: config.READ_YOUR_WRITES_TIMEOUT_MS / 1000 }),
    ],
    async close() {
      unwatch();
      await closeServer(server);
      await emailRequestRunner.stop();
      await versions?.stop();
      await projections.stop();
      await throttleStore?.close();
    },
  };
}

/** The answer to every API request while the read model is stopped at an event it cannot read. */
function readModelStopped(projections: SubscriptionRunner): Reply | null {
  const stopped = projections.stoppedAt;
  if (!stopped) return null;
  return {
    status: 503,
    body: { detail: `The read model is stopped at an event it cannot read (position ${stopped.position}); see the log.` },
  };
}
