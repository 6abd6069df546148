// Where `authstream createsuperuser` creates its superuser (./commands/createsuperuser.ts): the configured store with
// the write side composed in-process, and an in-memory read model following the log. Loaded only when the command
// needs it (the CLI starts faster without the write side).
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { composeUseCases, configuredJwt } from '../commands/compose.js';
import { isDomainError } from '../commands/decider.js';
import { loadJwtKeys } from '../crypto/jwt-keys.js';
import { argon2Hasher } from '../crypto/passwords.js';
import { loadSecretKey } from '../crypto/secret-key.js';
import { silentLogger } from '../log.js';
import { readModelCheckpoints } from '../projections/checkpoints.js';
import { readModelProjection } from '../projections/read-model.projection.js';
import { SubscriptionRunner } from '../projections/runner.js';
import { createMemoryReadModel } from '../readmodel/memory.js';
import type { CliContext } from './command.js';
import type { SuperuserTarget } from './createsuperuser.js';
import { openWritableStore } from './writable-store.js';

/** What the events of a createsuperuser record as their actor. */
export const SUPERUSER_ACTOR = 'cli:createsuperuser';

/** The accounts the command works on; close() stops the projection and closes the store. */
export async function openTarget(context: CliContext, config: Config): Promise<SuperuserTarget & { close(): Promise<void> }> {
  const store = await openWritableStore(context, config, 'createsuperuser');
  const readModel = createMemoryReadModel();
  const projection = new SubscriptionRunner({
    name: 'read-model',
    store,
    checkpoints: readModelCheckpoints(readModel),
    handle: readModelProjection(readModel),
    log: silentLogger,
  });
  try {
    const secretKey = config.SECRET_KEY ?? (await loadSecretKey(config.DATA_DIR, silentLogger));
    const now = () => new Date();
    const jwt = configuredJwt(config, secretKey, now, await loadJwtKeys(config));
    const hasher = argon2Hasher({
      memoryKiB: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
      maxQueue: config.ARGON2_MAX_QUEUE,
    });
    await projection.start(); // resolves once caught up with the log
    const { useCases } = composeUseCases({
      config,
      store,
      accountKeys: store.accountKeys,
      readModel,
      hasher,
      now,
      secretKey,
      jwt,
      readModelAt: async () => {},
    });
    const metadata = { correlationId: randomUUID(), actor: SUPERUSER_ACTOR };
    return {
      async taken(values) {
        try {
          await useCases.registration.checkAvailable(values);
          return [];
        } catch (error) {
          if (isDomainError(error, 'taken')) return [...(error.details.fields ?? [])];
          throw error;
        }
      },
      async create(registration) {
        await useCases.registration.createSuperuser(registration, metadata);
      },
      async close() {
        await projection.stop();
        await readModel.close();
        await store.close();
      },
    };
  } catch (error) {
    await projection.stop();
    await store.close();
    throw error;
  }
}
