// Password hashing with argon2id. The argon2 binding runs on libuv's thread pool, so hashing never blocks the
// event loop. At most one hash per core, plus one, runs at a time: that keeps the cores busy between hashes, while
// more could not go faster and would take every pool thread, queueing file I/O (the embedded log's fsync) behind
// seconds of hashing.
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** Spends the time of one verify without any account, so unknown logins cost as much as wrong passwords. */
  verifyNothing(password: string): Promise<void>;
}

export interface Argon2Params {
  readonly memoryKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** Runs at most `limit` tasks at once, the rest in arrival order. */
function limiter(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

export function argon2Hasher(params: Argon2Params, concurrency = availableParallelism() + 1): PasswordHasher {
  const options = {
    type: argon2.argon2id as 2,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  const limit = limiter(Math.max(1, concurrency));
  let dummy: Promise<string> | null = null;
  const verify = (hash: string, password: string) =>
    limit(async () => {
      try {
        return await argon2.verify(hash, password);
      } catch {
        return false; // a malformed stored hash never matches
      }
    });
  return {
    hash: (password) => limit(() => argon2.hash(password, options)),
    verify,
    async verifyNothing(password) {
      dummy ??= argon2.hash('authstream timing equaliser', options);
      await verify(await dummy, password);
    },
  };
}
