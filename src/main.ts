// `npm start`: the whole service in one process. With no environment at all it runs on the embedded default:
// events in an append-only file and the read model in memory, both under ./var, emails written to ./var/mail.
import { ConfigError, loadConfig } from './config.js';
import { startService } from './service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`authstream: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const service = await startService(config);
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
