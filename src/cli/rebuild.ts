// `npm run rebuild`: drops the MongoDB read model and replays the whole log into it, then exits. Stop the API
// instances first: while it runs they would read a partial model. (The embedded read model is rebuilt at every start.)
import { loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { openEventStore, openReadModel } from '../adapters.js';
import { SubscriptionRunner } from '../projections/runner.js';
import { readModelCheckpoints } from '../projections/checkpoints.js';
import { readModelProjection } from '../projections/read-model.projection.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.LOG_LEVEL);
  if (!config.MONGODB_URI) {
    log.info('the embedded read model is rebuilt from the log at every start: nothing to do');
    return;
  }
  const [store, model] = await Promise.all([openEventStore(config), openReadModel(config)]);
  try {
    const started = Date.now();
    await model.clear();
    const runner = new SubscriptionRunner({
      name: 'read-model',
      store,
      checkpoints: readModelCheckpoints(model),
      handle: readModelProjection(model),
      log,
    });
    await runner.start(); // resolves once caught up with the log
    await runner.stop();
    log.info(`read model rebuilt in ${Date.now() - started} ms`, { position: String(runner.position?.commit ?? 'empty log') });
  } finally {
    await model.close();
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(`rebuild failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
