// `authstream import-django <file>`: imports a Django `manage.py dumpdata auth.user authtoken.token` file (JSON or
// JSON lines) into the configured event store, through importDjango() (src/commands/import-django/): the rows are
// all read and checked first, then each user is imported whole or not at all, and a second run imports nothing new.
import { randomBytes, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../../config.js';
import type { DjangoDump } from '../../commands/import-django/dump.js';
import type { EventStore } from '../../store/port.js';
import { CliError, defineCommand, EXIT, type CliContext } from '../command.js';
import { openWritableStore } from '../writable-store.js';

interface ImportOptions {
  readonly userModel: string;
  readonly dryRun?: boolean;
  readonly concurrency: number;
}

/** What the events of an import record as their actor. */
export const IMPORT_ACTOR = 'cli:import-django';

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1024) throw new InvalidArgumentError('must be a whole number from 1 to 1024');
  return n;
}

function parseLabel(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/.test(value))
    throw new InvalidArgumentError('must be a model label, app_label.ModelName (settings.AUTH_USER_MODEL), e.g. accounts.User');
  return value;
}

/** A file we can read, or a usage error naming why not. */
async function checkReadable(file: string): Promise<void> {
  try {
    if (!(await stat(file)).isFile()) throw new CliError(`${file} is not a file`, EXIT.USAGE);
    await access(file, constants.R_OK);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new CliError(`cannot read ${file}: ${why}`, EXIT.USAGE);
  }
}

/** The store to import into: for writing (the embedded log's lock: the service must be stopped), or read-only. */
const openStore = (context: CliContext, config: Config, dryRun: boolean): Promise<EventStore> =>
  dryRun
    ? context.openEventStore(config)
    : openWritableStore(context, config, 'import-django', ' --dry-run only reads and works beside the service.');

const ignoredList = (dump: DjangoDump) =>
  Object.entries(dump.ignored)
    .map(([label, n]) => `${label}: ${n}`)
    .join(', ');

export default defineCommand('import-django', (program, { run, context }) => {
  program
    .command('import-django')
    .description('import the users and DRF tokens of a Django `manage.py dumpdata auth.user authtoken.token` file')
    .argument('<file>', 'the dump: a JSON array (dumpdata --indent N, or none) or JSON lines (dumpdata --format jsonl)')
    .option('--user-model <label>', 'the user model’s label in the dump (settings.AUTH_USER_MODEL)', parseLabel, 'auth.user')
    .option('--dry-run', 'read and check everything, write nothing, and report what would be imported')
    .option('--concurrency <n>', 'users imported at once: their appends share the embedded log’s group commits', parseConcurrency, 256)
    .addHelpText(
      'after',
      '\nThe login field is USERNAME_FIELD (and the model’s fields USER_FIELDS) from the configuration, as for the\n' +
        'service. Passwords keep Django’s hashes (rehashed to argon2id at each user’s next login), tokens keep their keys,\n' +
        'users keep their ids. Running it again imports nothing new.\n' +
        'Embedded log (no EVENTSTORE_URL): stop the service first, the import takes the log’s writer lock. EventStoreDB:\n' +
        'runs beside a running service. --dry-run only reads, beside a running service too.\n' +
        'Each problem is printed to stderr as `line N: reason`, then a summary.\n' +
        'Exit codes: 0 every user imported or already there, 1 some rows failed (or the file could not be read to its\n' +
        'end: then nothing is imported), 2 no file, an unreadable file, bad options or an invalid configuration.',
    )
    .action(
      run(async (file: string, options: ImportOptions) => {
        const config = context.config();
        await checkReadable(file);
        // The importer loads only now: `authstream --help` and every other command start without it.
        const [
          { loadSecretKey },
          { silentLogger },
          { formatDumpError, parseDjangoDumpFile },
          { importDeps, importDjango },
          { dryRunStore },
        ] = await Promise.all([
          import('../../crypto/secret-key.js'),
          import('../../log.js'),
          import('../../commands/import-django/dump.js'),
          import('../../commands/import-django/import.js'),
          import('../dry-run-store.js'),
        ]);
        let dump: DjangoDump;
        try {
          dump = await parseDjangoDumpFile(file, { userModel: options.userModel, usernameField: config.USERNAME_FIELD });
        } catch (error) {
          throw new CliError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, EXIT.USAGE);
        }
        const fatal = dump.errors.find((e) => e.fatal);
        if (fatal) {
          // A cut-off dump (tokens come after users) would import users without their tokens, and a second run would
          // then skip those users: nothing is imported from a file that cannot be read to its end.
          for (const e of dump.errors) context.err(formatDumpError(e));
          throw new CliError(`${file} could not be read to its end (line ${fatal.line}): nothing was imported`, EXIT.FAILURE);
        }
        if (dump.users.length === 0) {
          // Most likely the wrong --user-model: its tokens then all point at users "not in the file".
          if (Object.keys(dump.ignored).length > 0)
            throw new CliError(
              `${file} holds no ${options.userModel} rows (it holds ${ignoredList(dump)}): is --user-model right?`,
              EXIT.FAILURE,
            );
          for (const e of dump.errors) context.err(formatDumpError(e));
          if (dump.errors.length > 0) {
            context.out(`imported 0, skipped 0, failed ${dump.errors.length}`);
            return EXIT.FAILURE;
          }
          context.out(`nothing to import: ${file} holds no users`);
          return EXIT.OK;
        }

        const dryRun = options.dryRun === true;
        const store = await openStore(context, config, dryRun);
        const target = dryRun ? dryRunStore(store) : store;
        try {
          // Tokens are sealed under the key the service uses; a dry run seals them with a throwaway one, in memory.
          const secretKey =
            config.SECRET_KEY ?? (dryRun ? randomBytes(48).toString('base64url') : await loadSecretKey(config.DATA_DIR, silentLogger));
          const correlationId = randomUUID();
          const progress = context.progress({
            label: dryRun ? 'import-django (dry run)' : 'import-django',
            total: dump.users.length,
            unit: 'users',
          });
          let report;
          try {
            report = await importDjango(importDeps({ config, store: target, secretKey }), dump, {
              concurrency: options.concurrency,
              onProgress: (done) => progress.update(done),
              metadata: { correlationId, actor: IMPORT_ACTOR },
            });
          } finally {
            progress.stop();
          }
          for (const problem of report.problems) context.err(problem);
          if (Object.keys(dump.ignored).length > 0) context.err(`ignored the objects of other models: ${ignoredList(dump)}`);
          const { imported, skipped, failed } = report;
          if (dryRun) context.out(`dry run: would import ${imported}, skip ${skipped}, fail ${failed}; nothing was written`);
          else {
            context.out(`imported ${imported}, skipped ${skipped}, failed ${failed}`);
            if (imported > 0) context.err(`the events record actor ${IMPORT_ACTOR} and correlation id ${correlationId}`);
          }
          if (imported === 0 && failed === 0) context.out('nothing new to import: every user in the file is already imported');
          return failed > 0 ? EXIT.FAILURE : EXIT.OK;
        } finally {
          await target.close();
        }
      }),
    );
});
