// What every role of a process shares: configuration, logging, the clock, the secret and the two ports.
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { EventStore } from '../store/port.js';
import type { AccountKeyStore } from '../erasure/account-keys.js';
import type { ReadModel } from '../readmodel/port.js';
import type { PasswordHasher } from '../crypto/passwords.js';
import type { ReadinessCheck } from '../observability/health.js';

export interface ServiceContext {
  readonly config: Config;
  readonly log: Logger;
  readonly now: () => Date;
  readonly secretKey: string;
  /** The event store, with each account's personal data sealed under its own key (src/erasure). */
  readonly store: EventStore;
  /** The accounts' own keys: erasing one is erasing the account's personal data. */
  readonly accountKeys: AccountKeyStore;
  readonly readModel: ReadModel;
  readonly hasher: PasswordHasher;
}

/** A started role; the service closes its roles in the reverse order it opened them. */
export interface RunningRole {
  close(): Promise<void>;
  /** What /health reports of it. */
  health(): Record<string, unknown>;
  /** What /health/ready checks of it. */
  readonly checks?: readonly ReadinessCheck[];
}

/** Starts an HTTP server on PORT/HOST; resolves with it and its URL. */
export async function listen(config: Config, server: import('node:http').Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = server.address() as import('node:net').AddressInfo;
  return `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
}

/** How long close() lets requests in flight finish. */
const SHUTDOWN_GRACE_MS = 5_000;

/** Stops accepting, lets requests in flight finish (bounded), then cuts what is left. */
export function closeServer(server: import('node:http').Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    server.close(() => {
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}
