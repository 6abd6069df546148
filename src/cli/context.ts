// The CliContext of a real run: process streams and environment, the adapters, progress.
import path from 'node:path';
import { loadConfig, type Config } from '../config.js';
import type { EventStore } from '../store/port.js';
import type { CliContext, CliIo } from './command.js';
import { createProgress } from './progress.js';

/** Where the embedded log of a configuration lives (as src/adapters.ts opens it). */
export const embeddedLogDir = (config: Config): string => path.join(config.DATA_DIR, 'events');

export function createContext(io: CliIo): CliContext {
  return {
    ...io,
    config: () => loadConfig(io.env),
    async openEventStore(config, options = {}): Promise<EventStore> {
      if (config.EVENTSTORE_URL) {
        const { openEsdbEventStore } = await import('../store/esdb.js');
        return openEsdbEventStore(config.EVENTSTORE_URL);
      }
      const { openEmbeddedEventStore } = await import('../store/embedded.js');
      return openEmbeddedEventStore(embeddedLogDir(config), {
        readOnly: options.readOnly ?? true,
        warn: (m) => io.stderr.write(`${m}\n`),
      });
    },
    progress: (options) => createProgress(options, io),
    out: (line) => void io.stdout.write(`${line}\n`),
    err: (line) => void io.stderr.write(`${line}\n`),
    interrupted: () =>
      new Promise((resolve) => {
        const on = (signal: NodeJS.Signals) => {
          process.off('SIGINT', on);
          process.off('SIGTERM', on);
          resolve(signal);
        };
        process.on('SIGINT', on);
        process.on('SIGTERM', on);
      }),
  };
}
