// The logic of `authstream erase` (./commands/erase.ts): find the account, compose the deletion use case over the
// opened store, erase. Loaded only when the command runs (the CLI starts faster without the write side).
import { randomUUID } from 'node:crypto';
import { composeUseCases, configuredJwt } from '../commands/compose.js';
import { isDomainError } from '../commands/decider.js';
import { emailKey, usernameKey } from '../commands/normalize.js';
import { loadSecretKey } from '../crypto/secret-key.js';
import { argon2Hasher } from '../crypto/passwords.js';
import { reservationStream, parseReservationEvent } from '../events/reservation.events.js';
import { userStream } from '../events/user.events.js';
import { silentLogger } from '../log.js';
import { createMemoryReadModel } from '../readmodel/memory.js';
import type { EventStore } from '../store/port.js';
import type { Config } from '../config.js';
import type { SealedEventStore } from '../erasure/open.js';
import { namingKey } from '../erasure/data-key.js';
import { CliError, EXIT } from './command.js';

export const ERASE_ACTOR = 'cli:erase';

/** The account `who` names: an id whose stream exists, else the current holder of that username or email. */
async function resolve(store: EventStore, secretKey: string, who: string): Promise<string | undefined> {
  if ((await store.readStream(userStream(who), { maxCount: 1 })).length > 0) return who;
  for (const [kind, key] of [
    ['username', usernameKey(who)],
    ['email', emailKey(who)],
  ] as const) {
    const events = await store.readStream(reservationStream(secretKey, kind, key), { direction: 'backwards', maxCount: 1 });
    const last = events[0] && parseReservationEvent(events[0].type, events[0].data);
    if (last?.type === 'NameReserved') return last.data.userId;
  }
  return undefined;
}

/** Erases the account `who` names in `store`; resolves with its id. */
export async function eraseAccount(config: Config, store: SealedEventStore, who: string): Promise<string> {
  const secretKey = config.SECRET_KEY ?? (await loadSecretKey(config.DATA_DIR, silentLogger));
  const userId = await resolve(store, namingKey(config, secretKey), who);
  if (!userId) throw new CliError(`no account is named ${JSON.stringify(who)} (by id, username or email)`, EXIT.FAILURE);
  const now = () => new Date();
  const { useCases } = composeUseCases({
    config,
    store,
    accountKeys: store.accountKeys,
    readModel: createMemoryReadModel(),
    hasher: argon2Hasher({ memoryKiB: config.ARGON2_MEMORY_KIB, timeCost: config.ARGON2_TIME_COST, parallelism: 1 }),
    now,
    secretKey,
    jwt: configuredJwt(config, secretKey, now, null),
    readModelAt: async () => {},
  });
  try {
    await useCases.deletion.erase(userId, { correlationId: randomUUID(), actor: ERASE_ACTOR });
  } catch (error) {
    if (isDomainError(error, 'not_found')) throw new CliError(`no account ${userId} to erase`, EXIT.FAILURE);
    throw error;
  }
  return userId;
}
