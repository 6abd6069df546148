// `authstream rebuild`: drops the MongoDB read model and replays the whole log into it, then exits. Stop the API
// instances first: while it runs they would read a partial model. (The embedded read model is rebuilt at every start.)
import { CliError, defineCommand, EXIT } from '../command.js';
import { logEnd } from '../log-end.js';

export default defineCommand('rebuild', (program, { run, context }) => {
  program
    .command('rebuild')
    .description('drop the MongoDB read model (MONGODB_URI) and replay the whole event log into it')
    .addHelpText(
      'after',
      '\nStop the API instances first: while it runs they would read a partial model. Without MONGODB_URI there is\n' +
        'nothing to do (the in-memory read model is rebuilt from the log at every start). Reads the log only.\n' +
        'Exit codes: 0 rebuilt (or nothing to do), 1 failed, 2 bad arguments or invalid configuration.',
    )
    .action(
      run(async () => {
        const config = context.config();
        const { createLogger } = await import('../../log.js');
        const log = createLogger(config.LOG_LEVEL, { format: config.LOG_FORMAT });
        if (!config.MONGODB_URI) {
          log.info('the embedded read model is rebuilt from the log at every start: nothing to do');
          return EXIT.OK;
        }
        const [{ openReadModel }, { SubscriptionRunner }, { readModelCheckpoints }, { readModelProjection }] = await Promise.all([
          import('../../adapters.js'),
          import('../../projections/runner.js'),
          import('../../projections/checkpoints.js'),
          import('../../projections/read-model.projection.js'),
        ]);
        const [store, model] = await Promise.all([context.openEventStore(config), openReadModel(config)]);
        try {
          const end = await logEnd(store, config);
          const progress = context.progress({
            label: 'rebuild',
            total: end.position ? Number(end.position.commit) : 0,
            ...(end.unit === 'events' ? { unit: 'events' } : { bytes: true }),
          });
          const started = Date.now();
          await model.clear();
          const project = readModelProjection(model);
          let events = 0;
          const runner = new SubscriptionRunner({
            name: 'read-model',
            store,
            checkpoints: readModelCheckpoints(model),
            handle: async (event) => {
              await project(event);
              events++;
              progress.update(Number(event.position.commit));
            },
            log,
            skip: new Set(config.READ_MODEL_SKIP_EVENTS),
            skipSetting: 'READ_MODEL_SKIP_EVENTS',
          });
          try {
            await runner.start(); // resolves once caught up with the log
            await runner.stop();
          } finally {
            progress.stop(`rebuild: ${events} events replayed`);
          }
          const stopped = runner.stoppedAt;
          if (stopped) {
            throw new CliError(
              `the rebuild stopped at an event this version cannot read (position ${stopped.position}, stream ${stopped.streamId}, ` +
                `type ${stopped.eventType}); upgrade authstream, or skip it with READ_MODEL_SKIP_EVENTS=${stopped.position}`,
              EXIT.FAILURE,
            );
          }
          log.info(`read model rebuilt in ${Date.now() - started} ms`, {
            position: String(runner.position?.commit ?? 'empty log'),
            events,
          });
        } finally {
          await model.close();
          await store.close();
        }
        return EXIT.OK;
      }),
    );
});
