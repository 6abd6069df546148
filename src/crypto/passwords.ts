// Password hashing with argon2id. The argon2 binding runs on libuv's thread pool, so hashing never blocks the
// event loop. How many hashes run at once (hashingSlots): one per core plus one, so a core that finishes a hash finds
// the next one already running instead of idling until the event loop hands it one; but always one pool thread
// short of the pool, so the embedded log's write and fdatasync (pool jobs too) never queue behind a hash. libuv's
// pool has 4 threads unless UV_THREADPOOL_SIZE says more (the Dockerfile sets 16): on a box of more than two cores
// that is what lets hashing use them all. The queue behind the slots is bounded too (ARGON2_MAX_QUEUE): beyond it a
// hash or verify fails at once with HashingBusyError (HTTP 503 with Retry-After) rather than piling up requests
// that would time out anyway.
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { isDjangoHash, verifyDjangoPassword } from './django-hashers.js';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the time of one verify without any account, so unknown logins cost as much as wrong passwords. */
  verifyNothing(password: string): Promise<void>;
  /** Whether a stored hash should be replaced at the next login: an imported Django hash, or weaker argon2 params. */
  needsRehash(hash: string): boolean;
}

export interface Argon2Params {
  readonly memoryKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
  /** Hashes and verifies that may wait for a free slot; more fail with HashingBusyError. Default 64. */
  readonly maxQueue?: number;
}

export const DEFAULT_MAX_QUEUE = 64;

/** Every hashing slot is taken and the queue is full: answer 503 and let the client come back. */
export class HashingBusyError extends Error {
  override name = 'HashingBusyError';
  /** What Retry-After says (seconds). */
  readonly retryAfterSeconds = 1;
  constructor() {
    super('password hashing is at capacity');
  }
}

/** Runs at most `limit` tasks at once and at most `maxQueue` more in arrival order; rejects any beyond that. */
export function limiter(limit: number, maxQueue = Number.POSITIVE_INFINITY) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < limit) running++;
    else if (waiting.length >= maxQueue) throw new HashingBusyError();
    // A finishing task hands its slot straight to the first waiter, so no newcomer can slip in between.
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** libuv's thread pool size: UV_THREADPOOL_SIZE, read by libuv when the pool starts (default 4, at most 1024). */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const size = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isFinite(size) && size > 0 ? Math.min(size, 1024) : 4;
}

/** Hashes in flight at once: a core each plus one, leaving a pool thread for file I/O (see above). */
export function hashingSlots(cores = availableParallelism(), poolThreads = threadPoolSize()): number {
  return Math.max(1, Math.min(cores + 1, poolThreads - 1));
}

export function argon2Hasher(params: Argon2Params, concurrency = hashingSlots()): PasswordHasher {
  const options = {
    type: argon2.argon2id as 2,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  const limit = limiter(Math.max(1, concurrency), params.maxQueue ?? DEFAULT_MAX_QUEUE);
  let dummy: Promise<string> | null = null;
  const verify = (hash: string, password: string) =>
    limit(async () => {
      try {
        // Accounts imported from Django keep Django's hash until their next login.
        if (!hash.startsWith('$argon2')) return await verifyDjangoPassword(hash, password);
        return await argon2.verify(hash, password);
      } catch {
        return false; // a malformed stored hash never matches
      }
    });
  return {
    hash: (password) => limit(() => argon2.hash(password, options)),
    verify,
    // In the same queue as verify, the decision taken at the call: an unknown login is refused when busy exactly
    // as a known one is (the one-time dummy hash is made inside the slot).
    verifyNothing: (password) =>
      limit(async () => {
        dummy ??= argon2.hash('authstream timing equaliser', options).catch((error: unknown) => {
          dummy = null;
          throw error;
        });
        await argon2.verify(await dummy, password).catch(() => false);
      }),
    needsRehash: (hash) => (hash.startsWith('$argon2') ? argon2.needsRehash(hash, options) : isDjangoHash(hash)),
  };
}
