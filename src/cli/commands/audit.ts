// `authstream audit <user> | --all | --unknown-logins`: the audit trail from the event log, in public form, as a
// table on a terminal, NDJSON (--json, the default when stdout is not a terminal) or CSV (--csv). Strictly
// read-only: the embedded log is opened read-only (no lock, no write), beside a running service. The logic is in
// ../audit.ts, the formats in ../audit-format.ts.
import { InvalidArgumentError, Option } from 'commander';
import type { Config } from '../../config.js';
import { readSecretKey } from '../../crypto/secret-key.js';
import type { UserEventType } from '../../events/user.events.js';
import { CliError, defineCommand, EXIT, type CliContext } from '../command.js';
import { collectTypes } from '../event-type-option.js';
import { auditAll, auditTrails, findAccounts, parseWhen, unknownLogins, UNKNOWN_LOGINS_DEFAULT_DAYS, type Unreadable } from '../audit.js';
import { auditLayout, createSink, unknownLoginLayout, type Format } from '../audit-format.js';

/** What the action receives from commander: one field per option. */
export interface AuditOptions {
  readonly all?: boolean;
  readonly unknownLogins?: boolean;
  readonly login?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly type: UserEventType[];
  readonly json?: boolean;
  readonly csv?: boolean;
  readonly table?: boolean;
  /** true: scan too; false: never scan; undefined: only when no index knows an email. */
  readonly scan?: boolean;
  readonly verbose?: boolean;
}

function when(value: string): Date {
  const date = parseWhen(value);
  if (!date)
    throw new InvalidArgumentError(
      `'${value}' is neither an ISO date (2026-11-30, 2026-11-30T12:00:00Z) nor an age (90s, 15m, 12h, 7d, 2w)`,
    );
  return date;
}

/**
 * The key that names mailbox and reservation streams (and hashes unknown logins): DATA_KEY, else SECRET_KEY (or
 * SECRET_KEY_FILE's), else the one the embedded default generated under DATA_DIR — read only, never created.
 */
export const lookupKey = async (config: Config): Promise<string | undefined> =>
  config.DATA_KEY ?? config.SECRET_KEY ?? (await readSecretKey(config.DATA_DIR));

function formatOf(options: AuditOptions, context: CliContext): Format {
  const chosen = [options.json && 'json', options.csv && 'csv', options.table && 'table'].filter(Boolean) as Format[];
  if (chosen.length > 1) throw new CliError('choose one of --json, --csv, --table', EXIT.USAGE);
  return chosen[0] ?? (context.stdout.isTTY ? 'table' : 'json');
}

export default defineCommand('audit', (program, { run, context }) => {
  program
    .command('audit')
    .description('print the audit trail from the event log: an account’s history (or every account’s), public fields and metadata only')
    .argument('[user]', 'a user id, a username (every account that ever held it) or an email address (every account that ever held it)')
    .option('--all', 'every account’s events, in log order (reads the whole log)')
    .option('--unknown-logins', `failed logins for names that match no account (default: the last ${UNKNOWN_LOGINS_DEFAULT_DAYS} days)`)
    .option('--login <name>', 'with --unknown-logins: only attempts with this login (matched by its keyed hash)')
    .addOption(
      new Option('--since <when>', 'only events recorded at or after: an ISO date or date-time, or an age (7d, 12h, 30m, 2w)').argParser(
        when,
      ),
    )
    .addOption(new Option('--until <when>', 'only events recorded at or before (same forms as --since)').argParser(when))
    .addOption(
      new Option('--type <types>', 'only these event types (repeatable, or comma-separated): UserRegistered or user.registered')
        .argParser(collectTypes)
        .default([], 'all'),
    )
    .option('--json', 'NDJSON: one JSON object per line (the default when stdout is not a terminal)')
    .option('--csv', 'CSV (RFC 4180) with a header line')
    .option('--table', 'a table (the default on a terminal)')
    .option('--scan', 'for an email address: also scan the whole log, beside the indexes')
    .option('--no-scan', 'for an email address: never scan the log, even when no index knows it')
    .option('-v, --verbose', 'say on stderr how the accounts were found (which index, or a scan) and how long it took')
    .addHelpText(
      'after',
      '\nEach line: the account id, revision, global position, recorded time, event id, type, the event’s public data\n' +
        '(never a password hash, token material or a sealed key) and its metadata (correlationId, actor, ip, userAgent,\n' +
        'schemaVersion). Lines are in log order. Times are the event store’s recorded times (UTC).\n' +
        'Accounts are found through indexes: the id’s stream, the username’s reservation stream, the address’s mailbox\n' +
        'stream (or its reservation stream where emails are unique); a scan only for an address no index knows.\n' +
        'Reads the log only: the embedded log read-only (beside a running service), or EventStoreDB with EVENTSTORE_URL.\n' +
        'Exit codes: 0 printed, 1 no account found, an event that could not be read (named on stderr, never its data)\n' +
        'or the log could not be read, 2 bad arguments or configuration.\n\n' +
        'Examples:\n  authstream audit alice --since 7d\n  authstream audit alice@example.com --type user.logged_in --csv > logins.csv\n' +
        '  authstream audit --all --since 2026-11-01 --until 2026-11-30 --json\n  authstream audit --unknown-logins --since 24h',
    )
    .action(
      run(async (who: string | undefined, options: AuditOptions) => {
        const modes = [who !== undefined, options.all === true, options.unknownLogins === true].filter(Boolean).length;
        if (modes !== 1) throw new CliError('name one account (<user>), or give --all or --unknown-logins', EXIT.USAGE);
        if (options.login !== undefined && !options.unknownLogins) throw new CliError('--login goes with --unknown-logins', EXIT.USAGE);
        if (options.unknownLogins && options.type.length > 0) throw new CliError('--type does not apply to --unknown-logins', EXIT.USAGE);
        if (options.since && options.until && options.since > options.until) throw new CliError('--since is after --until', EXIT.USAGE);
        const format = formatOf(options, context);
        const config = context.config();
        const verbose = (line: string) => options.verbose && context.err(`audit: ${line}`);
        const started = performance.now();
        // The few streams an audit reads are checked as they are read: no pass over the whole log at open.
        const store = await context.openEventStore(config, { verify: 'tail' });
        const opened = (store as { opened?: Record<string, unknown> }).opened;
        verbose(
          `opened the event log in ${(performance.now() - started).toFixed(1)} ms (${config.EVENTSTORE_URL ? 'EventStoreDB' : 'embedded, read-only'}` +
            `${opened ? `, format ${String(opened.format)}, snapshot ${String(opened.snapshot)}, scanned ${String(opened.scannedBytes)} bytes` : ''})`,
        );
        const unreadable: Unreadable[] = [];
        const onUnreadable = (u: Unreadable) => {
          unreadable.push(u);
          context.err(
            `authstream audit: cannot read event ${u.eventId} (${u.type}) at position ${u.position} in ${u.streamId}: ${u.reason}`,
          );
        };
        const width = (context.stdout as { columns?: number }).columns ?? 160;
        let printed = 0;
        try {
          const key = await lookupKey(config);
          if (options.unknownLogins) {
            if (options.login !== undefined && !key)
              throw new CliError('--login needs SECRET_KEY (or DATA_DIR/secret_key) to hash the name', EXIT.USAGE);
            const sink = createSink(format, unknownLoginLayout, context.out, width);
            for await (const line of unknownLogins(store, {
              since: options.since,
              until: options.until,
              login: options.login,
              mailboxKey: key,
              onUnreadable,
            })) {
              sink.write(line);
              printed++;
            }
            sink.end();
          } else {
            const filter = { since: options.since, until: options.until, types: new Set<string>(options.type), onUnreadable };
            let lines;
            if (options.all) {
              verbose('every account: reading the whole log');
              lines = auditAll(store, filter);
            } else {
              const lookup = await findAccounts(store, who!, {
                mailboxKey: key,
                scan: options.scan === undefined ? 'auto' : options.scan ? 'always' : 'never',
              });
              for (const step of lookup.steps) {
                verbose(
                  `lookup ${step.path}${step.stream ? ` (${step.stream})` : ''}: ${step.found} account${step.found === 1 ? '' : 's'}${step.note ? `; ${step.note}` : ''}`,
                );
              }
              verbose(
                `found ${lookup.ids.length} account${lookup.ids.length === 1 ? '' : 's'} in ${(performance.now() - started).toFixed(1)} ms`,
              );
              if (lookup.ids.length === 0) throw new CliError(`no account found for ${who}`, EXIT.FAILURE);
              lines = auditTrails(store, lookup.ids, filter);
            }
            const sink = createSink(format, auditLayout, context.out, width);
            for await (const line of lines) {
              sink.write(line);
              printed++;
            }
            sink.end();
          }
        } finally {
          await store.close();
        }
        verbose(`${printed} line${printed === 1 ? '' : 's'} in ${(performance.now() - started).toFixed(1)} ms`);
        if (unreadable.length > 0) {
          context.err(`authstream audit: ${unreadable.length} event${unreadable.length === 1 ? '' : 's'} could not be read (see above)`);
          return EXIT.FAILURE;
        }
        return EXIT.OK;
      }),
    );
});
