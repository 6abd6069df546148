// `npm start`: the whole service in one process. With no environment at all it runs on the embedded default:
// events in an append-only file and the read model in memory, both under ./var, emails written to ./var/mail.
//
// `npm start -- api` runs only the HTTP API; `npm start -- worker` only the relay and the email consumer (a health
// endpoint on PORT), so a deployment scales them apart. Both need shared servers: EVENTSTORE_URL (the embedded log
// belongs to one process) and AMQP_URL (the bus between them).
import { ConfigError, loadConfig, type Config } from './config.js';
import { startService, type Role } from './service.js';

const MODES: Record<string, readonly Role[]> = {
  all: ['http', 'relay', 'email'],
  api: ['http'],
  worker: ['relay', 'email'],
};

function checkMode(mode: string, config: Config): void {
  if (mode === 'all') return;
  const missing = [config.EVENTSTORE_URL ? null : 'EVENTSTORE_URL', config.AMQP_URL ? null : 'AMQP_URL'].filter(Boolean);
  if (missing.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${missing.join(', ')}: required to run '${mode}' as a separate process`);
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'all';
  const roles = MODES[mode];
  if (!roles) {
    console.error(`authstream: unknown mode '${mode}' (use: all, api, worker)`);
    process.exit(2);
  }
  let config;
  try {
    config = loadConfig();
    checkMode(mode, config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`authstream: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const service = await startService(config, { roles });
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.error(`authstream: ${signal} received, shutting down`);
    service.close().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`authstream: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
