// The composition root: picks adapters from the configuration, catches the read model up with the log, then serves
// HTTP and runs the email consumer. `npm start` calls startService(); tests call it in-process.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import type { EventStore } from './store/port.js';
import type { ReadModel } from './readmodel/port.js';
import { openEmbeddedEventStore } from './store/embedded.js';
import { openEsdbEventStore } from './store/esdb.js';
import { createMemoryReadModel } from './readmodel/memory.js';
import { openMongoReadModel } from './readmodel/mongo.js';
import { SubscriptionRunner } from './projections/runner.js';
import { fileCheckpoints, readModelCheckpoints } from './projections/checkpoints.js';
import { usersProjection } from './projections/users.projection.js';
import { accountService } from './commands/accounts.js';
import { argon2Hasher } from './crypto/passwords.js';
import { jwtService } from './crypto/jwt.js';
import { loadSecretKey } from './crypto/secret-key.js';
import { createApp } from './http/app.js';
import { createMailer, type Mailer } from './email/mailer.js';
import { emailRunnerHandler } from './email/runner.js';

export interface RunningService {
  readonly url: string;
  readonly store: EventStore;
  readonly readModel: ReadModel;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  readonly log?: Logger;
  readonly now?: () => Date;
}

export async function startService(config: Config, overrides: ServiceOverrides = {}): Promise<RunningService> {
  const log = overrides.log ?? createLogger(config.LOG_LEVEL);
  const now = overrides.now ?? (() => new Date());
  const secretKey = config.SECRET_KEY ?? (await loadSecretKey(config.DATA_DIR, log));
  const store = config.EVENTSTORE_URL
    ? await openEsdbEventStore(config.EVENTSTORE_URL)
    : await openEmbeddedEventStore(path.join(config.DATA_DIR, 'events'));
  const readModel = config.MONGODB_URI
    ? await openMongoReadModel(config.MONGODB_URI, { dbName: config.MONGODB_DB, emailUnique: config.EMAIL_UNIQUE })
    : createMemoryReadModel();

  const projections = new SubscriptionRunner({
    name: 'read-model',
    store,
    checkpoints: readModelCheckpoints(readModel),
    handle: usersProjection(readModel),
    log,
  });
  await projections.start();

  const mailer: Mailer = createMailer({
    smtpUrl: config.SMTP_URL,
    mailDir: path.join(config.DATA_DIR, 'mail'),
    from: config.DEFAULT_FROM_EMAIL,
    log,
  });
  // The email runner's checkpoint lives under DATA_DIR: emails are effects outside the read model.
  const emails = new SubscriptionRunner({
    name: 'email',
    store,
    checkpoints: config.MONGODB_URI ? readModelCheckpoints(readModel) : fileCheckpoints(config.DATA_DIR),
    handle: emailRunnerHandler({ config, secretKey, store, now, mailer, log }),
    log,
  });
  const emailsStarted = emails.start().catch((error) => log.error('email runner failed to start', { error: String(error) }));

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
  const app = createApp({
    config,
    log,
    accounts,
    readModel,
    jwt,
    health: () => ({ status: 'ok', readModelPosition: String(projections.position?.commit ?? 'none') }),
  });

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.PORT, config.HOST, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  log.info(`authstream listening on ${url}`, {
    eventStore: config.EVENTSTORE_URL ? 'eventstoredb' : 'embedded',
    readModel: config.MONGODB_URI ? 'mongodb' : 'memory',
  });

  return {
    url,
    store,
    readModel,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await emailsStarted;
      await emails.stop();
      await projections.stop();
      mailer.close();
      await readModel.close();
      await store.close();
    },
  };
}
