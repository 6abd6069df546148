// `authstream rebuild`: replays the whole log into a new read model beside the running service, then puts it in
// place (src/projections/rebuild-target.ts): on MongoDB new collections and an atomic switch that running API
// instances follow, so none reads a half-built model; on the embedded default a new read-model snapshot, which the
// service loads at its next start. Reads the log only (a read-only open of the embedded log).
import { CliError, defineCommand, EXIT } from '../command.js';
import { logEnd } from '../log-end.js';

export default defineCommand('rebuild', (program, { run, context }) => {
  program
    .command('rebuild')
    .description('replay the whole event log into a new read model, then switch to it (MongoDB) or leave it for the next start')
    .addHelpText(
      'after',
      '\nRuns beside the service, reading the log only. With MONGODB_URI: builds new collections (users_rebuild_<time>,\n' +
        'auth_tokens_rebuild_<time>), then points the read_model_version document at them in one atomic update; running\n' +
        'API instances bring them up to their own projection and move over within a few seconds. The version replaced is\n' +
        'kept until the next rebuild. Without MONGODB_URI: writes DATA_DIR/read-model.rebuilt.snapshot, which the service\n' +
        'loads at its next start instead of its own snapshot (restart it to use it). Progress: a bar on a terminal\n' +
        '(events/s, ETA), plain lines every few seconds otherwise.\n' +
        'Exit codes: 0 rebuilt, 1 failed, 2 bad arguments or invalid configuration.',
    )
    .action(
      run(async () => {
        const config = context.config();
        const { createLogger } = await import('../../log.js');
        const log = createLogger(config.LOG_LEVEL, { format: config.LOG_FORMAT });
        const [{ openRebuildTarget }, { SubscriptionRunner }, { readModelCheckpoints }, { readModelProjection }] = await Promise.all([
          import('../../projections/rebuild-target.js'),
          import('../../projections/runner.js'),
          import('../../projections/checkpoints.js'),
          import('../../projections/read-model.projection.js'),
        ]);
        const store = await context.openEventStore(config);
        const target = await openRebuildTarget(config, store, log).catch(async (error: unknown) => {
          await store.close();
          throw error;
        });
        const model = target.model;
        log.info(`rebuild: replaying the whole log into ${target.description}`);
        try {
          const end = await logEnd(store, config);
          const progress = context.progress({
            label: 'rebuild',
            total: end.position ? Number(end.position.commit) : 0,
            ...(end.unit === 'events' ? { unit: 'events' } : { bytes: true }),
          });
          const started = Date.now();
          const project = readModelProjection(model);
          let events = 0;
          const runner = new SubscriptionRunner({
            name: 'read-model',
            store,
            checkpoints: readModelCheckpoints(model),
            // As the projection's own handler, no promise for an event it has nothing to do with (most of a log).
            handle: (event) => {
              const counted = (): undefined => {
                events++;
                progress.update(Number(event.position.commit));
              };
              const pending = project(event);
              return pending ? pending.then(counted) : counted();
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
          log.info(`rebuild: ${await target.finish()}`);
        } finally {
          await target.close();
          await store.close();
        }
        return EXIT.OK;
      }),
    );
});
