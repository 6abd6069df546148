// Readiness: the checks behind GET /health/ready. Each role contributes its own (service.ts assembles them); every
// check runs at each request, concurrently, bounded by CHECK_TIMEOUT_MS, and the answer names each failed one and why.
//
//   eventStore           the store answers (EventStoreDB: one event of $all read on the server; embedded: one read)
//   readModel            the read model answers (its checkpoint is read)                        [api]
//   readModelProjection  the projection trails the log by at most MAX_LAG_EVENTS events and its oldest pending
//                        event is at most READ_YOUR_WRITES_TIMEOUT_MS old (beyond that, writes would answer 503),
//                        and it is not stuck on an event, nor stopped at one it cannot read     [api]
//   relay                not stuck on an event while it holds the lease (a standby is ready)     [relay]
//   broker               the RabbitMQ connection is up                                            [where AMQP_URL is used]
import type { EventStore } from '../store/port.js';
import type { EventBus } from '../amqp/bus.js';
import type { Blocked, Lag } from '../projections/runner.js';

export interface CheckResult {
  readonly ok: boolean;
  /** Why it failed. */
  readonly reason?: string;
  readonly [detail: string]: unknown;
}

export interface ReadinessCheck {
  readonly name: string;
  run(): Promise<CheckResult> | CheckResult;
}

export interface Readiness {
  readonly status: 'ok' | 'unavailable';
  /** The names of the failed checks. */
  readonly failed: readonly string[];
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export const CHECK_TIMEOUT_MS = 2_000;
export const MAX_LAG_EVENTS = 1_000;

export async function readiness(checks: readonly ReadinessCheck[], timeoutMs = CHECK_TIMEOUT_MS): Promise<Readiness> {
  const results = await Promise.all(checks.map(async (check) => [check.name, await bounded(check, timeoutMs)] as const));
  const failed = results.filter(([, r]) => !r.ok).map(([name]) => name);
  return { status: failed.length ? 'unavailable' : 'ok', failed, checks: Object.fromEntries(results) };
}

async function bounded(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => check.run()), timeout]);
  } catch (error) {
    return { ok: false, reason: errorText(error) };
  } finally {
    clearTimeout(timer);
  }
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 300);

export function eventStoreCheck(store: EventStore, timeoutMs = CHECK_TIMEOUT_MS): ReadinessCheck {
  return {
    name: 'eventStore',
    async run() {
      try {
        if (store.probe) await store.probe(timeoutMs);
        else for await (const _ of store.readAll({ maxCount: 1 })) break;
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: `unreachable: ${errorText(error)}` };
      }
    },
  };
}

export function readModelCheck(load: () => Promise<unknown>): ReadinessCheck {
  return {
    name: 'readModel',
    async run() {
      try {
        await load();
        return { ok: true };
      } catch (error) {
        return { ok: false, reason: `unreachable: ${errorText(error)}` };
      }
    },
  };
}

/** What the projection runner and the relay expose to their checks. */
export interface SubscriptionState {
  lag(maxEvents: number): Promise<Lag | null>;
  readonly blocked: Blocked | null;
}

const blockedReason = (b: Blocked) =>
  b.stopped
    ? `stopped at an event it cannot read: position ${b.stopped.position}, stream ${b.stopped.streamId}, type ${b.eventType} ` +
      `(${b.stopped.reason.slice(0, 200)}); upgrade authstream` +
      (b.stopped.skipSetting ? `, or skip it with ${b.stopped.skipSetting}=${b.stopped.position}` : '')
    : b.error === null
      ? `stuck on ${b.eventType} ${b.eventId} since ${b.since.toISOString()} (still handling it)`
      : `retrying ${b.eventType} ${b.eventId} since ${b.since.toISOString()} (${b.failures} failures, last: ${b.error.slice(0, 200)})`;

/** A subscription is ready when it is not stuck and, with `maxLag`, trails the log within it. */
export function subscriptionCheck(
  name: string,
  sub: SubscriptionState,
  maxLag?: { readonly events: number; readonly seconds: number },
): ReadinessCheck {
  return {
    name,
    async run() {
      const blocked = sub.blocked;
      let lag: Lag | null;
      try {
        lag = await sub.lag(maxLag?.events ?? MAX_LAG_EVENTS);
      } catch (error) {
        return { ok: false, reason: `cannot read the log to measure the lag: ${errorText(error)}` };
      }
      const detail = lag
        ? { lagEvents: lag.events, lagSeconds: Number(lag.seconds.toFixed(3)), ...(lag.capped ? { lagCapped: true } : {}) }
        : { active: false };
      if (blocked?.stopped) {
        const { position, streamId } = blocked.stopped;
        return { ok: false, reason: blockedReason(blocked), stoppedAt: { position, streamId, eventType: blocked.eventType }, ...detail };
      }
      if (blocked) return { ok: false, reason: blockedReason(blocked), ...detail };
      if (lag && maxLag && (lag.capped || lag.events > maxLag.events)) {
        return {
          ok: false,
          reason: `${lag.capped ? 'more than ' : ''}${lag.events} events behind the log (bound: ${maxLag.events})`,
          ...detail,
        };
      }
      if (lag && maxLag && lag.seconds > maxLag.seconds) {
        return { ok: false, reason: `its oldest pending event is ${lag.seconds.toFixed(1)} s old (bound: ${maxLag.seconds} s)`, ...detail };
      }
      return { ok: true, ...detail };
    },
  };
}

export function brokerCheck(bus: EventBus): ReadinessCheck {
  return {
    name: 'broker',
    run() {
      const status = bus.status();
      if (status.connected === true) return { ok: true };
      return { ok: false, reason: 'not connected to RabbitMQ (AMQP_URL); reconnecting' };
    },
  };
}
