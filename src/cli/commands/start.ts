// `authstream start [mode]` (what `npm start` runs): the whole service in one process, or one side of it. With no
// environment at all it runs on the embedded default: events in an append-only file and the read model in memory,
// both under ./var, emails written to ./var/mail.
//
// `api` runs only the HTTP API; `worker` only the relay and the email consumer (a health endpoint on PORT), so a
// deployment scales them apart. Both need shared servers: EVENTSTORE_URL (the embedded log belongs to one process)
// and AMQP_URL (the bus between them).
import { Argument } from 'commander';
import { ConfigError, type Config } from '../../config.js';
import type { Role } from '../../service.js';
import { CliError, defineCommand, EXIT } from '../command.js';

const MODES = {
  all: ['http', 'relay', 'email'],
  api: ['http'],
  worker: ['relay', 'email'],
} as const satisfies Record<string, readonly Role[]>;
type Mode = keyof typeof MODES;

function checkMode(mode: Mode, config: Config): void {
  if (mode === 'all') return;
  const missing = [config.EVENTSTORE_URL ? null : 'EVENTSTORE_URL', config.AMQP_URL ? null : 'AMQP_URL'].filter(Boolean);
  if (missing.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${missing.join(', ')}: required to run '${mode}' as a separate process`);
  }
}

export default defineCommand('start', (program, { run, context }) => {
  program
    .command('start')
    .description('run the service (the API, the relay and the email consumer), or one side of it')
    .addArgument(
      new Argument('[mode]', 'all: everything in one process; api: HTTP only; worker: relay and email consumer')
        .choices(Object.keys(MODES))
        .default('all'),
    )
    .option('--replay', 'replay the whole log into the in-memory read model, ignoring its snapshot (as FULL_REPLAY=true)')
    .addHelpText(
      'after',
      '\napi and worker need EVENTSTORE_URL and AMQP_URL. Stops on SIGINT or SIGTERM.\n' +
        'Exit codes: 0 stopped cleanly, 1 failed to start or to stop, 2 bad mode or invalid configuration.',
    )
    .action(
      run(async (mode: Mode, options: { replay?: boolean }) => {
        const loaded = context.config();
        const config = options.replay ? { ...loaded, FULL_REPLAY: true } : loaded;
        checkMode(mode, config);
        const [{ startService }, { EmbeddedLogDamagedError }] = await Promise.all([
          import('../../service.js'),
          import('../../store/embedded.js'),
        ]);
        let service;
        try {
          service = await startService(config, { roles: MODES[mode] });
        } catch (error) {
          // A damaged embedded log: its own message (where, what), and the command that shows the whole picture.
          if (error instanceof EmbeddedLogDamagedError) {
            throw new CliError(
              `failed to start: ${error.message} See \`authstream log check\` (DATA_DIR=${config.DATA_DIR}).`,
              EXIT.FAILURE,
            );
          }
          throw new CliError(`failed to start: ${error instanceof Error ? error.message : String(error)}`, EXIT.FAILURE);
        }
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          // Later signals are ignored while the service closes, as before (a second Ctrl-C does not cut it short).
          process.on('SIGINT', () => resolve('SIGINT'));
          process.on('SIGTERM', () => resolve('SIGTERM'));
        });
        context.err(`authstream: ${signal} received, shutting down`);
        await service.close(signal);
        return EXIT.OK;
      }),
    );
});
