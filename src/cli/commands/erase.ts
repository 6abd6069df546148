// `authstream erase <user>`: GDPR erasure by crypto-shredding. A live account is deleted (as staff would, actor
// cli:erase), then its key is destroyed and UserErased recorded (subscribers get user.erased); an account already
// deleted whose erasure was cut short (a crash between the two) is erased now. The log keeps every event: they
// replay, their personal fields read "[erased]".
import { defineCommand } from '../command.js';
import { openWritableStore } from '../writable-store.js';

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
          const { eraseAccount } = await import('../erase.js');
          context.out(`erased account ${await eraseAccount(config, store, who)}`);
        } finally {
          await store.close();
        }
      }),
    );
});
