// `authstream audit <user>`: an account's history, one JSON line per event, in public form.
// Built to take options: the audit trail's --since/--until/--type/--json/--csv/--all go on the command below and
// into AuditOptions, and the action hands them to the trail (src/cli/audit.ts).
import { CliError, defineCommand, EXIT } from '../command.js';
import { accountsMatching, auditTrail } from '../audit.js';
import { readSecretKey } from '../../crypto/secret-key.js';

/** What the action receives from commander: one field per option (none yet). */
export type AuditOptions = Record<string, never>;

export default defineCommand('audit', (program, { run, context }) => {
  program
    .command('audit')
    .description('print an account’s history from the event log: one JSON line per event, public fields only')
    .argument('<user>', 'a username (every account that ever held it), an email address, or a user id')
    .addHelpText(
      'after',
      '\nReads the log only (the embedded log read-only, beside a running service).\n' +
        'Exit codes: 0 printed, 1 no account found or the log could not be read, 2 bad arguments or configuration.',
    )
    .action(
      run(async (who: string, _options: AuditOptions) => {
        const config = context.config();
        const store = await context.openEventStore(config);
        try {
          const ids = await accountsMatching(store, who, config.SECRET_KEY ?? (await readSecretKey(config.DATA_DIR)));
          if (ids.length === 0) throw new CliError(`no account found for ${who}`, EXIT.FAILURE);
          for (const id of ids) for await (const line of auditTrail(store, id)) context.out(JSON.stringify(line));
        } finally {
          await store.close();
        }
      }),
    );
});
