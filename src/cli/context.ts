// The CliContext of a real run: process streams and environment, the adapters, progress.
import path from 'node:path';
import { loadConfig, type Config } from '../config.js';
import type { EventStore } from '../store/port.js';
import type { CliContext, CliIo } from './command.js';
import { createProgress } from './progress.js';
import type { SealedEventStore } from '../erasure/open.js';

/** Where the embedded log of a configuration lives (as src/adapters.ts opens it). */
export const embeddedLogDir = (config: Config): string => path.join(config.DATA_DIR, 'events');

export function createContext(io: CliIo): CliContext {
  return {
    ...io,
    config: () => loadConfig(io.env),
    async openEventStore(config, options = {}): Promise<SealedEventStore> {
      const readOnly = options.readOnly ?? true;
      let store: EventStore;
      if (config.EVENTSTORE_URL) {
        const { openEsdbEventStore } = await import('../store/esdb.js');
        store = await openEsdbEventStore(config.EVENTSTORE_URL);
      } else {
        const { openEmbeddedEventStore } = await import('../store/embedded.js');
        store = await openEmbeddedEventStore(embeddedLogDir(config), {
          readOnly,
          ...(options.verify ? { verify: options.verify } : {}),
          warn: (m) => io.stderr.write(`${m}\n`),
        });
      }
      // As the service sees it: personal data opened with each account's key (erased accounts read "[erased]"). A
      // read-only command never creates a secret; without one no account key was ever made either.
      // Loaded here, not at the top: a command that opens no store starts without them.
      const [{ randomBytes }, { loadSecretKey, readSecretKey }, { openAccountKeys, sealedStore }, { silentLogger }] = await Promise.all([
        import('node:crypto'),
        import('../crypto/secret-key.js'),
        import('../erasure/open.js'),
        import('../log.js'),
      ]);
      const secretKey =
        config.SECRET_KEY ??
        (readOnly ? await readSecretKey(config.DATA_DIR) : await loadSecretKey(config.DATA_DIR, silentLogger)) ??
        randomBytes(48).toString('base64url');
      return sealedStore(store, await openAccountKeys(config, secretKey));
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
