// Each account's own data key, kept outside the log (the keyring file on the embedded default, a MongoDB
// collection in production), wrapped by the data key's KEK. Personal data in the account's events is encrypted with
// it; destroying it is erasure: the log still replays, its personal fields read "[erased]".
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Collection, MongoClient } from 'mongodb';
import { BoundedMap } from '../bounded-map.js';
import { ensurePrivateDir } from '../data-dir.js';

/** A key's standing: the key, erased (it existed and was destroyed), or none (never made: older, plain events). */
export type KeyLookup = { readonly key: Buffer } | { readonly erased: true } | null;

export interface AccountKeyStore {
  /** What is cached for the account, without any I/O; undefined when nothing is. */
  peek(userId: string): KeyLookup | undefined;
  /** The account's key, made (and stored durably) if it has none; null if it was erased. */
  keyFor(userId: string): Promise<Buffer | null>;
  find(userId: string): Promise<KeyLookup>;
  /** Destroys the key for good. */
  erase(userId: string): Promise<void>;
  close(): Promise<void>;
}

/** The storage behind a key store: wrapped keys and erasure marks, by account. */
export interface WrappedKeys {
  get(userId: string): Promise<{ wrapped: string } | { erased: true } | null>;
  /** Stores a new wrapped key unless the account already has one (or was erased); returns what is stored now. */
  putIfAbsent(userId: string, wrapped: string): Promise<{ wrapped: string } | { erased: true }>;
  erase(userId: string): Promise<void>;
  close(): Promise<void>;
}

const wrap = (kek: Buffer, key: Buffer): string => {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  const body = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
};

const unwrap = (kek: Buffer, wrapped: string): Buffer => {
  const raw = Buffer.from(wrapped, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', kek, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
};

/**
 * A key store over wrapped keys, with what it found cached (bounded, and for `ttlMs` only: an erasure made by another
 * instance is seen here within that time).
 */
export function accountKeyStore(storage: WrappedKeys, kek: Buffer, options: { cacheLimit?: number; ttlMs?: number } = {}): AccountKeyStore {
  const cacheLimit = options.cacheLimit ?? 50_000;
  const ttlMs = options.ttlMs ?? 60_000;
  const cache = new BoundedMap<string, { lookup: KeyLookup; until: number }>(cacheLimit);
  const remember = (userId: string, lookup: KeyLookup): KeyLookup => {
    cache.delete(userId);
    cache.set(userId, { lookup, until: Date.now() + ttlMs });
    return lookup;
  };
  const open = (userId: string, stored: { wrapped: string } | { erased: true }): KeyLookup => {
    if ('erased' in stored) return { erased: true };
    try {
      return { key: unwrap(kek, stored.wrapped) };
    } catch {
      throw new Error(
        `account ${userId}'s key does not unwrap: DATA_KEY (unset: SECRET_KEY) is not the one the keys were made with. ` +
          'Set it back; DATA_KEY must never change (set it to the old SECRET_KEY before rotating SECRET_KEY)',
      );
    }
  };
  const peek = (userId: string): KeyLookup | undefined => {
    const hit = cache.get(userId);
    if (!hit) return undefined;
    if (hit.until >= Date.now()) return hit.lookup;
    cache.delete(userId);
    return undefined;
  };
  return {
    peek,
    async keyFor(userId) {
      let lookup = peek(userId);
      if (!lookup) {
        const stored = (await storage.get(userId)) ?? (await storage.putIfAbsent(userId, wrap(kek, randomBytes(32))));
        lookup = remember(userId, open(userId, stored));
      }
      return lookup && 'key' in lookup ? lookup.key : null;
    },
    async find(userId) {
      const hit = peek(userId);
      if (hit !== undefined) return hit;
      const stored = await storage.get(userId);
      return remember(userId, stored ? open(userId, stored) : null);
    },
    async erase(userId) {
      await storage.erase(userId);
      remember(userId, { erased: true });
    },
    close: () => storage.close(),
  };
}

/** Writes a 0600 file and makes it durable (file and directory entry) before it resolves. */
async function writeDurably(file: string, data: string, flag: 'wx' | 'w'): Promise<void> {
  const handle = await open(file, flag, 0o600);
  try {
    await handle.chmod(0o600);
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Older releases' embedded default (still read; keyring.ts replaced it): one 0600 file per account under
 * DATA_DIR/keys. A key is on disk (fsynced) before any event sealed with it is appended: a lost key would be a lost
 * account. Erasing replaces the file with a mark, atomically.
 */
export function fileWrappedKeys(dir: string): WrappedKeys {
  const fileOf = (userId: string) => path.join(dir, `${encodeURIComponent(userId)}.key`);
  const read = async (userId: string) => {
    try {
      return JSON.parse(await readFile(fileOf(userId), 'utf8')) as { wrapped: string } | { erased: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  };
  return {
    get: read,
    async putIfAbsent(userId, wrapped) {
      await ensurePrivateDir(dir);
      try {
        // 'wx': two writers of one account's first key cannot both win; the loser reads the winner's.
        await writeDurably(fileOf(userId), JSON.stringify({ wrapped }), 'wx');
        await syncDir(dir);
        return { wrapped };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        return (await read(userId))!;
      }
    },
    async erase(userId) {
      await ensurePrivateDir(dir);
      // The mark replaces the key in one rename (so there is never neither), then the rename is made durable.
      const mark = `${fileOf(userId)}.${process.pid}.erasing`;
      await writeDurably(mark, JSON.stringify({ erased: true }), 'w');
      await rename(mark, fileOf(userId));
      await syncDir(dir);
    },
    close: async () => {},
  };
}

interface KeyDoc {
  _id: string;
  wrapped?: string;
  erased?: boolean;
}

/** Production: the read-model database's account_keys collection (replacing the document erases the key). */
export function mongoWrappedKeys(client: MongoClient, dbName: string): WrappedKeys {
  const keys: Collection<KeyDoc> = client.db(dbName).collection<KeyDoc>('account_keys');
  const view = (doc: KeyDoc | null) => (!doc ? null : doc.erased ? ({ erased: true } as const) : { wrapped: doc.wrapped! });
  return {
    get: async (userId) => view(await keys.findOne({ _id: userId })),
    async putIfAbsent(userId, wrapped) {
      await keys.updateOne({ _id: userId }, { $setOnInsert: { wrapped } }, { upsert: true }).catch((error: unknown) => {
        if ((error as { code?: number }).code !== 11000) throw error; // a concurrent first key: theirs stands
      });
      return view(await keys.findOne({ _id: userId }))!;
    },
    async erase(userId) {
      await keys.replaceOne({ _id: userId }, { erased: true }, { upsert: true });
    },
    close: () => client.close(),
  };
}

/**
 * Keys in `primary`, and, for accounts it has none of, the ones `older` holds: a deployment that moves from the
 * embedded default to MongoDB (MONGODB_URI set on a DATA_DIR that already has keys) keeps every account readable. A
 * key found in `older` is copied into `primary` (so the move happens as keys are used; `copy: false`: it is only read
 * there, so that reading writes nothing); erasing erases both.
 */
export function migratingWrappedKeys(primary: WrappedKeys, older: WrappedKeys, options: { copy?: boolean } = {}): WrappedKeys {
  const copy = options.copy ?? true;
  return {
    async get(userId) {
      const found = await primary.get(userId);
      if (found) return found;
      const old = await older.get(userId);
      if (!old || !copy) return old;
      if ('erased' in old) {
        await primary.erase(userId);
        return old;
      }
      return primary.putIfAbsent(userId, old.wrapped);
    },
    putIfAbsent: async (userId, wrapped) => (await older.get(userId)) ?? primary.putIfAbsent(userId, wrapped),
    async erase(userId) {
      await primary.erase(userId);
      if (await older.get(userId)) await older.erase(userId);
    },
    async close() {
      await primary.close();
      await older.close();
    },
  };
}

/** For tests. */
export function memoryWrappedKeys(): WrappedKeys {
  const docs = new Map<string, { wrapped: string } | { erased: true }>();
  return {
    get: async (userId) => docs.get(userId) ?? null,
    async putIfAbsent(userId, wrapped) {
      if (!docs.has(userId)) docs.set(userId, { wrapped });
      return docs.get(userId)!;
    },
    erase: async (userId) => void docs.set(userId, { erased: true }),
    close: async () => {},
  };
}
