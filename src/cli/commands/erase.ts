// `authstream erase <user>`: GDPR erasure by crypto-shredding. A live account is deleted (as staff would, actor
// cli:erase), then its key is destroyed and UserErased recorded (subscribers get user.erased); an account already
// deleted whose erasure was cut short (a crash between the two) is erased now. The log keeps every event: they
// replay, their personal fields read "[erased]".
import { randomUUID } from 'node:crypto';
import { composeUseCases, configuredJwt } from '../../commands/compose.js';
import { isDomainError } from '../../commands/decider.js';
import { emailKey, usernameKey } from '../../commands/normalize.js';
import { loadSecretKey } from '../../crypto/secret-key.js';
import { argon2Hasher } from '../../crypto/passwords.js';
import { reservationStream, parseReservationEvent } from '../../events/reservation.events.js';
import { userStream } from '../../events/user.events.js';
import { silentLogger } from '../../log.js';
import { createMemoryReadModel } from '../../readmodel/memory.js';
import type { EventStore } from '../../store/port.js';
import { CliError, defineCommand, EXIT } from '../command.js';
import { openWritableStore } from '../writable-store.js';

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

export default defineCommand('erase', (program, { run, context }) => {
  program
    .command('erase')
    .description('erase an account: delete it if it is live, destroy its key (its personal data reads "[erased]")')
    .argument('<user>', 'the account: its id, or its current username or email')
    .addHelpText(
      'after',
      "\nThe account's events stay in the log and still replay; its email, names, password hash, IP addresses and user\n" +
        'agents become unreadable for good, and its username and email may be registered again. Subscribers get\n' +
        'user.erased. Embedded log: stop the service first (the command appends); EventStoreDB: runs beside it.\n' +
        'Exit codes: 0 erased (or already erased), 1 no such account or failed, 2 an invalid configuration.',
    )
    .action(
      run(async (who: string) => {
        const config = context.config();
        const store = await openWritableStore(context, config, 'erase');
        try {
          const secretKey = config.SECRET_KEY ?? (await loadSecretKey(config.DATA_DIR, silentLogger));
          const userId = await resolve(store, secretKey, who);
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
          context.out(`erased account ${userId}`);
        } finally {
          await store.close();
        }
      }),
    );
});
