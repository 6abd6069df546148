// Password hashing with argon2id. The argon2 binding runs on libuv's thread pool, so hashing never blocks the
// event loop.
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

export function argon2Hasher(params: Argon2Params): PasswordHasher {
  const options = {
    type: argon2.argon2id as 2,
    memoryCost: params.memoryKiB,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
  };
  let dummy: Promise<string> | null = null;
  const verify = async (hash: string, password: string) => {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false; // a malformed stored hash never matches
    }
  };
  return {
    hash: (password) => argon2.hash(password, options),
    verify,
    async verifyNothing(password) {
      dummy ??= argon2.hash('authstream timing equaliser', options);
      await verify(await dummy, password);
    },
  };
}
