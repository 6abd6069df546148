// The account key stores (crypto-shredding): one contract for the three storages — memory, one file per account
// (the embedded default), MongoDB's account_keys (the wire-protocol test server always, a real mongod when
// MONGODB_URI is set) — and the sealed event store passing the event-store contract, so sealing changes nothing
// a reader can tell apart but the bytes on disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import {
  accountKeyStore,
  fileWrappedKeys,
  memoryWrappedKeys,
  migratingWrappedKeys,
  mongoWrappedKeys,
  type WrappedKeys,
} from '../../src/erasure/account-keys.js';
import { sealedStore } from '../../src/erasure/open.js';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import { describeUnless, skipReason } from '../support/skip.js';
import { startMongoTestServer, type MongoTestServer } from '../support/mongo-server.js';
import { eventStoreContract } from './event-store.contract.js';

const kek = randomBytes(32);

function keyStoreContract(
  name: string,
  open: () => Promise<{ storage: WrappedKeys; cleanup?: () => Promise<void> }>,
  skip: string | false = false,
) {
  describeUnless(`account keys: ${name}`, skip, () => {
    let storage: WrappedKeys;
    let cleanup: (() => Promise<void>) | undefined;
    before(async () => {
      ({ storage, cleanup } = await open());
    });
    after(async () => {
      await storage?.close();
      await cleanup?.();
    });

    it('makes a key once: every caller, concurrent or later, gets the same one', async () => {
      const keys = accountKeyStore(storage, kek);
      const made = await Promise.all(Array.from({ length: 8 }, () => keys.keyFor('41')));
      for (const key of made) assert.deepEqual(key, made[0]);
      assert.equal(made[0]!.length, 32);
      // Another instance (no shared cache) reads the stored one.
      assert.deepEqual(await accountKeyStore(storage, kek).keyFor('41'), made[0]);
      assert.deepEqual(await accountKeyStore(storage, kek).find('41'), { key: made[0] });
    });

    it('finds nothing for an account that never had a key, and makes none', async () => {
      const keys = accountKeyStore(storage, kek);
      assert.equal(await keys.find('42'), null);
      assert.equal(await storage.get('42'), null);
    });

    it('erases a key for good: it reads as erased and is never made again', async () => {
      const keys = accountKeyStore(storage, kek);
      await keys.keyFor('43');
      await keys.erase('43');
      assert.deepEqual(await keys.find('43'), { erased: true });
      const other = accountKeyStore(storage, kek);
      assert.deepEqual(await other.find('43'), { erased: true });
      assert.equal(await other.keyFor('43'), null);
      assert.deepEqual(await storage.get('43'), { erased: true });
    });

    it('cannot unwrap a key with another KEK', async () => {
      await accountKeyStore(storage, kek).keyFor('44');
      await assert.rejects(accountKeyStore(storage, randomBytes(32)).find('44'));
    });

    it('sees another instance’s erasure once its cached entry expires', async () => {
      const here = accountKeyStore(storage, kek, { ttlMs: 20 });
      await here.keyFor('45');
      await accountKeyStore(storage, kek).erase('45');
      await new Promise((r) => setTimeout(r, 40));
      assert.deepEqual(await here.find('45'), { erased: true });
    });
  });
}

keyStoreContract('memory', async () => ({ storage: memoryWrappedKeys() }));

keyStoreContract('files', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'authstream-keys-'));
  return { storage: fileWrappedKeys(path.join(dir, 'keys')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('file key store', () => {
  it('keeps each key in its own 0600 file in a 0700 directory, and erasing leaves no key bytes', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'authstream-keys-'));
    try {
      const storage = fileWrappedKeys(path.join(dir, 'keys'));
      const keys = accountKeyStore(storage, kek);
      await keys.keyFor('7');
      assert.equal((await stat(path.join(dir, 'keys'))).mode & 0o777, 0o700);
      assert.equal((await stat(path.join(dir, 'keys', '7.key'))).mode & 0o777, 0o600);
      await keys.erase('7');
      assert.deepEqual(await readdir(path.join(dir, 'keys')), ['7.key']);
      assert.deepEqual(await storage.get('7'), { erased: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

let server: MongoTestServer | undefined;
const suffix = () => randomBytes(6).toString('hex');
describe('account keys over the MongoDB wire protocol', () => {
  before(async () => {
    server = await startMongoTestServer();
  });
  after(() => server?.stop());
  keyStoreContract('mongo (test server)', async () => {
    const client = await new MongoClient(server!.uri, { serverSelectionTimeoutMS: 3_000 }).connect();
    return { storage: mongoWrappedKeys(client, `authstream_keys_${suffix()}`) };
  });
});

const realSkip = skipReason('MONGODB_URI', 'account keys against a real mongod');
keyStoreContract(
  'mongo (MONGODB_URI)',
  async () => {
    const dbName = `authstream_keys_${suffix()}`;
    const client = await new MongoClient(process.env.MONGODB_URI!, { serverSelectionTimeoutMS: 3_000 }).connect();
    return {
      storage: mongoWrappedKeys(client, dbName),
      cleanup: async () => {
        const dropper = await new MongoClient(process.env.MONGODB_URI!).connect();
        await dropper.db(dbName).dropDatabase();
        await dropper.close();
      },
    };
  },
  realSkip,
);

// Sealing is invisible to readers: the embedded store under the sealing decorator passes the whole contract.
eventStoreContract('embedded, with personal data sealed', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'authstream-sealed-'));
  const store = sealedStore(await openEmbeddedEventStore(path.join(dir, 'events')), accountKeyStore(memoryWrappedKeys(), kek));
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('moving from files to MongoDB', () => {
  it('finds an account’s key in the older storage, copies it over, and erases it in both', async () => {
    const older = memoryWrappedKeys();
    const primary = memoryWrappedKeys();
    const before = await accountKeyStore(older, kek).keyFor('9');
    const keys = accountKeyStore(migratingWrappedKeys(primary, older), kek);
    assert.deepEqual(await keys.keyFor('9'), before);
    assert.ok(await primary.get('9'), 'copied into the new storage');
    assert.deepEqual(await accountKeyStore(primary, kek).find('9'), { key: before });
    await keys.erase('9');
    assert.deepEqual(await older.get('9'), { erased: true });
    assert.deepEqual(await primary.get('9'), { erased: true });
    // An account erased before the move stays erased after it.
    await accountKeyStore(older, kek).keyFor('10');
    await older.erase('10');
    assert.equal(await accountKeyStore(migratingWrappedKeys(memoryWrappedKeys(), older), kek).keyFor('10'), null);
  });
});
