// Throttles as DRF's throttles behave (a rate per scope, a 429 with Retry-After), on rate-limiter-flexible: counters
// in the read-model database when there is one (shared by every instance), in memory on the embedded default.
// Scopes that count failed logins take a point per attempt and give it back when the login succeeds, so concurrent
// guesses are counted before their answers, and a user who types the password right is never throttled.
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { MongoClient } from 'mongodb';
import type { Config, ThrottleScope } from './config.js';
import { metrics } from './observability/metrics.js';

/** Over the rate: DRF's Throttled, with the seconds until a request would be allowed. */
export class ThrottledError extends Error {
  constructor(
    readonly scope: ThrottleScope,
    readonly waitSeconds: number,
  ) {
    super(`throttled (${scope})`);
    this.name = 'ThrottledError';
  }
}

export interface Throttles {
  /** Takes one request of `scope` for `key` (a client IP, a login name); throws ThrottledError over the rate. */
  take(scope: ThrottleScope, key: string): Promise<void>;
  /** Gives back what take() took (a login that succeeded). */
  giveBack(scope: ThrottleScope, key: string): Promise<void>;
}

export function createThrottles(config: Config, mongo?: { client: MongoClient; dbName: string }): Throttles {
  const limiters = new Map<ThrottleScope, RateLimiterAbstract>();
  for (const [scope, rate] of Object.entries(config.DEFAULT_THROTTLE_RATES) as [
    ThrottleScope,
    Config['DEFAULT_THROTTLE_RATES'][ThrottleScope],
  ][]) {
    if (!rate) continue;
    const options = { keyPrefix: `authstream:${scope}`, points: rate.requests, duration: rate.seconds };
    limiters.set(
      scope,
      mongo
        ? new RateLimiterMongo({ ...options, storeClient: mongo.client, dbName: mongo.dbName, tableName: 'throttles' })
        : new RateLimiterMemory(options),
    );
  }
  return {
    async take(scope, key) {
      const limiter = limiters.get(scope);
      if (!limiter) return;
      try {
        await limiter.consume(key, 1);
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        metrics.throttled(scope);
        throw new ThrottledError(scope, Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
      }
    },
    async giveBack(scope, key) {
      await limiters.get(scope)?.reward(key, 1);
    },
  };
}

/** For tests and tools that take no requests. */
export const noThrottles: Throttles = { take: async () => {}, giveBack: async () => {} };
