// The relay role: publishes every account event to the bus, checkpointed, one relay at a time (the bus lease).
import type { EventBus } from '../amqp/bus.js';
import { Relay } from '../amqp/relay.js';
import { fileCheckpoints, readModelCheckpoints } from '../projections/checkpoints.js';
import { subscriptionCheck } from '../observability/health.js';
import { metrics } from '../observability/metrics.js';
import type { RunningRole, ServiceContext } from './context.js';

/**
 * Publishes awaiting their broker confirms at once, on RabbitMQ. 1024 rather than 256: ~10% more catch-up on the
 * bench box (22k events/s into a quorum queue), for at most that many messages held and republished after a crash.
 */
export const RELAY_IN_FLIGHT = 1024;

export interface RelayRole extends RunningRole {
  readonly relay: Relay;
}

export function startRelay(ctx: ServiceContext, bus: EventBus): RelayRole {
  const { config, log, store, readModel } = ctx;
  // Checkpoints of effects outside the read model live under DATA_DIR unless the read model is shared (MongoDB).
  const checkpoints = config.MONGODB_URI ? readModelCheckpoints(readModel) : fileCheckpoints(config.DATA_DIR);
  const relay = new Relay({
    bus,
    store,
    checkpoints,
    // The in-process relay keeps the old email runner's checkpoint name: it is the embedded email path.
    name: bus.kind === 'amqp' ? `relay-${config.AMQP_EXCHANGE}` : 'email',
    lease: `${config.AMQP_EXCHANGE}.relay-lock`,
    source: config.CLOUDEVENTS_SOURCE,
    log,
    // RabbitMQ: publishes pipelined, confirms awaited in order. In-process: one at a time (a retry holds the relay).
    inFlight: bus.kind === 'amqp' ? RELAY_IN_FLIGHT : 1,
    skip: new Set(config.RELAY_SKIP_EVENTS),
  });
  if (config.RELAY_SKIP_EVENTS.length) {
    log.warn(
      `RELAY_SKIP_EVENTS: the relay passes over the events at positions ${config.RELAY_SKIP_EVENTS.join(', ')}; ` +
        'their subscribers never receive them',
      { positions: config.RELAY_SKIP_EVENTS },
    );
  }
  relay.start();
  const unwatch = metrics.watchSubscription('relay', relay);
  return {
    relay,
    health: () => ({ relayPosition: String(relay.position?.commit ?? 'none'), relayActive: relay.active, published: relay.published }),
    checks: [subscriptionCheck('relay', relay)],
    async close() {
      unwatch();
      const stopped = relay.stop();
      // An in-process retry wait holds the relay's publish: closing that bus interrupts it.
      if (bus.kind === 'in-process') await bus.close();
      await stopped;
    },
  };
}
