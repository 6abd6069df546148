// Prometheus metrics (prom-client), in one registry for the process. Code that has something to count calls the
// `metrics` object below; it never touches prom-client itself. /metrics serves `metricsText()` where it is
// configured (METRICS_TOKEN on the API's port, METRICS_PORT on a listener of its own; see routes.ts).
//
//   authstream_http_request_duration_seconds{method,route,status}   histogram (route: the template, /auth/users/:id/)
//   authstream_logins_total{kind=token|jwt,outcome=success|failure}
//   authstream_throttled_total{scope}                                 requests refused by a rate limit
//   authstream_accounts_locked_total                                  accounts locked out
//   authstream_emails_sent_total{kind}, authstream_email_retries_total, authstream_emails_dead_lettered_total
//   authstream_event_store_append_duration_seconds{outcome=ok|conflict|error}
//   authstream_subscription_lag_events{subscription=read-model|relay}  events of the log not handled yet (≤ 1000 counted)
//   authstream_subscription_lag_seconds{subscription}                 age of the oldest of them
//   authstream_subscription_blocked_seconds{subscription}             how long it has been stuck on one event (0: not)
//   authstream_broker_connected{broker=rabbitmq}                      1/0, where a RabbitMQ bus is open
//   the default process and Node.js metrics (process_*, nodejs_*)
import client from 'prom-client';
import type { Verdict } from '../amqp/bus.js';

export const registry = new client.Registry();

const httpDuration = new client.Histogram({
  name: 'authstream_http_request_duration_seconds',
  help: 'HTTP requests by route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
const logins = new client.Counter({
  name: 'authstream_logins_total',
  help: 'Logins by kind (token: token/login/, jwt: jwt/create/) and outcome',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});
const throttledTotal = new client.Counter({
  name: 'authstream_throttled_total',
  help: 'Requests refused by a rate limit, by scope',
  labelNames: ['scope'] as const,
  registers: [registry],
});
const lockedTotal = new client.Counter({
  name: 'authstream_accounts_locked_total',
  help: 'Accounts locked out after repeated failed logins',
  registers: [registry],
});
const emailsSent = new client.Counter({
  name: 'authstream_emails_sent_total',
  help: 'Emails accepted by the SMTP server (or written to DATA_DIR/mail), by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});
const emailRetries = new client.Counter({
  name: 'authstream_email_retries_total',
  help: 'Email deliveries that failed and were scheduled again',
  registers: [registry],
});
const emailsDeadLettered = new client.Counter({
  name: 'authstream_emails_dead_lettered_total',
  help: 'Email events given up on (permanent SMTP refusal, last attempt, malformed message)',
  registers: [registry],
});
const appendDuration = new client.Histogram({
  name: 'authstream_event_store_append_duration_seconds',
  help: 'Event-store appends by outcome (conflict: the expected revision did not hold)',
  labelNames: ['outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

/** What a subscription (a projection runner, the relay) tells the lag gauges. */
export interface WatchedSubscription {
  /** null when it is not running (a standby relay). */
  lag(maxEvents: number): Promise<{ events: number; seconds: number } | null>;
  readonly blocked: { readonly since: Date } | null;
}

const watched = new Map<string, WatchedSubscription>();
const LAG_COUNT_LIMIT = 1_000;

// Both lag gauges come from one read of the log per scrape.
let lagRound: { at: number; values: Promise<Map<string, { events: number; seconds: number } | null>> } | undefined;
function lagValues(): Promise<Map<string, { events: number; seconds: number } | null>> {
  if (lagRound && Date.now() - lagRound.at < 1_000) return lagRound.values;
  const values = (async () => {
    const out = new Map<string, { events: number; seconds: number } | null>();
    await Promise.all(
      [...watched].map(async ([name, sub]) => {
        out.set(name, await sub.lag(LAG_COUNT_LIMIT).catch(() => null));
      }),
    );
    return out;
  })();
  lagRound = { at: Date.now(), values };
  return values;
}

new client.Gauge({
  name: 'authstream_subscription_lag_events',
  help: `Events of the log a subscription has not handled yet (counted up to ${LAG_COUNT_LIMIT})`,
  labelNames: ['subscription'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const [name, lag] of await lagValues()) if (lag) this.set({ subscription: name }, lag.events);
  },
});
new client.Gauge({
  name: 'authstream_subscription_lag_seconds',
  help: 'Age of the oldest event a subscription has not handled yet (0: caught up)',
  labelNames: ['subscription'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const [name, lag] of await lagValues()) if (lag) this.set({ subscription: name }, lag.seconds);
  },
});
new client.Gauge({
  name: 'authstream_subscription_blocked_seconds',
  help: 'How long a subscription has been stuck on one event, failing or waiting (0: it is not)',
  labelNames: ['subscription'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [name, sub] of watched) {
      const blocked = sub.blocked;
      this.set({ subscription: name }, blocked ? (Date.now() - blocked.since.getTime()) / 1000 : 0);
    }
  },
});

let brokerConnected: (() => boolean) | undefined;
new client.Gauge({
  name: 'authstream_broker_connected',
  help: 'Whether the RabbitMQ connection is up (only where a RabbitMQ bus is open)',
  labelNames: ['broker'] as const,
  registers: [registry],
  collect() {
    this.reset();
    if (brokerConnected) this.set({ broker: 'rabbitmq' }, brokerConnected() ? 1 : 0);
  },
});

let processMetrics = false;

/** The calls other code makes; each is cheap and never throws. */
export const metrics = {
  httpRequest(method: string, route: string, status: number, seconds: number): void {
    httpDuration.observe({ method, route, status: String(status) }, seconds);
  },
  login(kind: 'token' | 'jwt', outcome: 'success' | 'failure'): void {
    logins.inc({ kind, outcome });
  },
  /** A request refused by a rate limit; `scope` names the limit (e.g. `login-ip`, `login-user`). */
  throttled(scope: string): void {
    throttledTotal.inc({ scope });
  },
  /** An account locked out. */
  locked(): void {
    lockedTotal.inc();
  },
  emailSent(kind: string): void {
    emailsSent.inc({ kind });
  },
  /** The email consumer's verdict on a delivery: retries and dead letters are counted. */
  emailVerdict(verdict: Verdict): Verdict {
    if (verdict.action === 'retry') emailRetries.inc();
    else if (verdict.action === 'dead-letter') emailsDeadLettered.inc();
    return verdict;
  },
  /** Starts timing an append; call the result with its outcome. */
  appendTimer(): (outcome: 'ok' | 'conflict' | 'error') => void {
    const end = appendDuration.startTimer();
    return (outcome) => void end({ outcome });
  },
  /** Reports a subscription's lag until the returned function is called. */
  watchSubscription(name: string, subscription: WatchedSubscription): () => void {
    watched.set(name, subscription);
    return () => {
      if (watched.get(name) === subscription) watched.delete(name);
    };
  },
  /** Reports the broker connection until the returned function is called. */
  watchBroker(connected: () => boolean): () => void {
    brokerConnected = connected;
    return () => {
      if (brokerConnected === connected) brokerConnected = undefined;
    };
  },
  /** Adds prom-client's default process and Node.js metrics (once; from start-up, where /metrics is served). */
  enableProcessMetrics(): void {
    if (processMetrics) return;
    processMetrics = true;
    client.collectDefaultMetrics({ register: registry });
  },
};

/** The exposition text and its content type. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
