// The event store opened for writing by a CLI command that appends (import-django, createsuperuser): EventStoreDB
// beside a running service, or the embedded log, whose writer lock one process holds at a time. A lock held by a
// running service becomes a message saying to stop it, instead of the lock's own error.
import type { Config } from '../config.js';
import { ensurePrivateDir } from '../data-dir.js';
import type { SealedEventStore } from '../erasure/open.js';
import { CliError, EXIT, type CliContext } from './command.js';
import { embeddedLogDir } from './context.js';

/** `command` names what appends (`import-django`); `after` says what to do besides stopping the service. */
export async function openWritableStore(context: CliContext, config: Config, command: string, after = ''): Promise<SealedEventStore> {
  // DATA_DIR holds secrets: made private before the log (or a generated key) is written into it, as the service does.
  if (!config.EVENTSTORE_URL) await ensurePrivateDir(config.DATA_DIR);
  try {
    return await context.openEventStore(config, { readOnly: false });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (config.EVENTSTORE_URL || !/is locked by process/.test(message)) throw error;
    throw new CliError(
      `the embedded event log ${embeddedLogDir(config)} is in use by a running authstream, so nothing was done.\n` +
        `  ${command} appends to the log, and one process writes the embedded log at a time: stop the service, run\n` +
        `  ${command}, then start the service again (it reads the log at start).${after} With EVENTSTORE_URL it runs\n` +
        `  beside the service.\n  (${message})`,
      EXIT.FAILURE,
    );
  }
}
