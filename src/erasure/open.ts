// Which key store a configuration uses: MongoDB's account_keys collection when MONGODB_URI is set (every instance
// shares it; keys left under DATA_DIR/keys by an embedded run move into it), else the keyring file under
// DATA_DIR/keys (keyring.ts; older releases' one-file-per-account keys are still read there). Both wrap the keys with the data key's KEK.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { EventStore } from '../store/port.js';
import { accountKeyStore, fileWrappedKeys, migratingWrappedKeys, mongoWrappedKeys, type AccountKeyStore } from './account-keys.js';
import { dataKeys } from './data-key.js';
import { keyringWrappedKeys } from './keyring.js';
import { personalDataStore } from './personal-data-store.js';

/** What the key store is chosen by. */
export type KeyConfig = Pick<Config, 'DATA_DIR' | 'DATA_KEY' | 'MONGODB_URI' | 'MONGODB_DB'>;

export async function openAccountKeys(config: KeyConfig, secretKey: string): Promise<AccountKeyStore> {
  const { kek } = dataKeys(config.DATA_KEY ?? secretKey);
  const dir = path.join(config.DATA_DIR, 'keys');
  // Older releases' key files are read where they are, never copied on a read (a process that only reads, the audit
  // CLI, must write nothing); looked for only when there are some (each lookup would be a file open).
  const keyring = await keyringWrappedKeys(dir);
  const legacy = (await readdir(dir).catch(() => [] as string[])).some((name) => name.endsWith('.key'));
  const embedded = legacy ? migratingWrappedKeys(keyring, fileWrappedKeys(dir), { copy: false }) : keyring;
  if (!config.MONGODB_URI) return accountKeyStore(embedded, kek);
  const { MongoClient } = await import('mongodb');
  const client = await new MongoClient(config.MONGODB_URI, { serverSelectionTimeoutMS: 3_000, connectTimeoutMS: 3_000 }).connect();
  // Keys an embedded-default run left under DATA_DIR/keys move into MongoDB as they are used.
  return accountKeyStore(migratingWrappedKeys(mongoWrappedKeys(client, config.MONGODB_DB), embedded), kek);
}

/** An event store that seals personal data, with the key store it seals with (erasing is destroying a key there). */
export interface SealedEventStore extends EventStore {
  readonly accountKeys: AccountKeyStore;
}

/** The store with personal data sealed per account; closing it closes the key store too. */
export function sealedStore(store: EventStore, keys: AccountKeyStore): SealedEventStore {
  const sealed = personalDataStore(store, keys);
  return {
    ...sealed,
    accountKeys: keys,
    close: async () => {
      await sealed.close();
      await keys.close();
    },
  };
}
