// `authstream events tail`: follows the event log live and prints each account event in its public form (the form
// the relay publishes: no password hash, no token material), one JSON line each. Reservation streams are skipped.
// The embedded log is opened read-only: no lock, no writes, so it runs beside the service that writes the log.
import { Option } from 'commander';
import type { UserEventType } from '../../events/user.events.js';
import { comparePositions, type AllSubscription, type Position, type RecordedEvent } from '../../store/port.js';
import { CliError, defineCommand, EXIT, type CliContext } from '../command.js';
import { collectTypes } from '../event-type-option.js';
import { logEnd } from '../log-end.js';
import { publicEventLine } from '../public-event.js';

interface TailOptions {
  readonly fromStart?: boolean;
  readonly type: UserEventType[];
  readonly follow: boolean;
}

export default defineCommand('events tail', (_program, { run, context, group }) => {
  group('events', 'the event log')
    .command('tail')
    .description('follow the event log live, printing each account event in public form (one JSON line each)')
    .option('--from-start', 'print every event from the beginning of the log first (default: only events from now on)')
    .addOption(
      new Option('--type <types>', 'only these event types (repeatable, or comma-separated): UserRegistered or user.registered')
        .argParser(collectTypes)
        .default([], 'all'),
    )
    .option('--no-follow', 'stop at the end of the log instead of following it')
    .addHelpText(
      'after',
      '\nEach line: {"userId","revision","position","recorded","eventId","type","data"} with the public fields only.\n' +
        'The embedded log is opened read-only (beside a running service); EventStoreDB with EVENTSTORE_URL.\n' +
        'Stops on SIGINT or SIGTERM. Exit codes: 0 stopped, 1 the log could not be read, 2 bad arguments or configuration.',
    )
    .action(
      run(async (options: TailOptions) => {
        const config = context.config();
        const store = await context.openEventStore(config);
        const wanted = options.type.length > 0 ? new Set(options.type) : undefined;
        const print = (e: RecordedEvent) => printEvent(context, e, wanted);
        try {
          const from = options.fromStart ? undefined : (await logEnd(store, config)).position;
          if (!options.follow) {
            for await (const e of store.readAll(from ? { fromPosition: from } : {})) {
              if (from && comparePositions(e.position, from) <= 0) continue; // readAll is inclusive
              print(e);
            }
            return EXIT.OK;
          }
          context.err(
            `authstream: following the log from ${from ? `after position ${String(from.commit)}` : 'its start'} (stop with Ctrl-C)`,
          );
          await follow(context, store.subscribeToAll(from), print);
          return EXIT.OK;
        } finally {
          await store.close();
        }
      }),
    );
});

async function follow(context: CliContext, subscription: AllSubscription, print: (e: RecordedEvent) => void): Promise<void> {
  let stopped = false;
  void context.interrupted().then(() => {
    stopped = true;
    return subscription.close();
  });
  let last: Position | undefined;
  try {
    for await (const e of subscription) {
      print(e);
      last = e.position;
    }
  } catch (error) {
    if (stopped) return;
    const at = last ? ` after position ${String(last.commit)}` : '';
    throw new CliError(`the subscription to the log failed${at}: ${error instanceof Error ? error.message : String(error)}`, EXIT.FAILURE);
  }
  if (!stopped) throw new CliError('the subscription to the log ended', EXIT.FAILURE);
}

function printEvent(context: CliContext, e: RecordedEvent, wanted: Set<UserEventType> | undefined): void {
  if (wanted && !wanted.has(e.type as UserEventType)) return;
  let line;
  try {
    line = publicEventLine(e);
  } catch (error) {
    // Never fall back to the raw data: it may hold secrets.
    context.err(
      `authstream: skipping event ${e.id} (${e.type}) at position ${String(e.position.commit)}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return;
  }
  if (line) context.out(JSON.stringify(line));
}
