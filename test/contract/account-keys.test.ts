// The account key stores (crypto-shredding): one contract for the storages — memory, the keyring file (the embedded
// default), one file per account (older releases'), MongoDB's account_keys (the wire-protocol test server always, a real mongod when
// MONGODB_URI is set) — and the sealed event store passing the event-store contract, so sealing changes nothing
// a reader can tell apart but the bytes on disk.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
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
import { keyringWrappedKeys } from '../../src/erasure/keyring.js';
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

keyStoreContract('keyring', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'authstream-keys-'));
  return { storage: await keyringWrappedKeys(path.join(dir, 'keys')), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('keyring file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-keyring-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const keysDir = (name: string) => path.join(dir, name, 'keys');

  it('creates nothing until the first key: one 0600 file in a 0700 directory, one line per account', async () => {
    const storage = await keyringWrappedKeys(keysDir('modes'));
    assert.equal(await storage.get('1'), null);
    await assert.rejects(stat(keysDir('modes')), /ENOENT/, 'a reader writes nothing');
    const keys = accountKeyStore(storage, kek);
    await Promise.all(Array.from({ length: 50 }, (_, i) => keys.keyFor(String(i))));
    assert.equal((await stat(keysDir('modes'))).mode & 0o777, 0o700);
    assert.equal((await stat(path.join(keysDir('modes'), 'keyring'))).mode & 0o777, 0o600);
    assert.equal((await readFile(path.join(keysDir('modes'), 'keyring'), 'utf8')).trimEnd().split('\n').length, 50);
    await storage.close();
  });

  it('two writers (as two processes) racing for one account’s first key both keep the earlier line', async () => {
    const [a, b] = [await keyringWrappedKeys(keysDir('race')), await keyringWrappedKeys(keysDir('race'))];
    for (let i = 0; i < 20; i++) {
      const [x, y] = await Promise.all([a.putIfAbsent(`r${i}`, `a-key-${i}`), b.putIfAbsent(`r${i}`, `b-key-${i}`)]);
      assert.deepEqual(x, y, `account r${i}`);
      const later = await keyringWrappedKeys(keysDir('race'));
      assert.deepEqual(await later.get(`r${i}`), x, 'and so does whoever reads the file later');
      await later.close();
    }
    // A key the other writer made after this one last read the file is found on the miss.
    await a.putIfAbsent('late', 'a-late');
    assert.deepEqual(await b.get('late'), { wrapped: 'a-late' });
    await a.close();
    await b.close();
  });

  it('erasing overwrites the key’s bytes in place (same file, same size), for good', async () => {
    const storage = await keyringWrappedKeys(keysDir('erase'));
    const keys = accountKeyStore(storage, kek);
    await keys.keyFor('keep');
    await keys.keyFor('gone');
    const file = path.join(keysDir('erase'), 'keyring');
    const before = await readFile(file);
    const { ino } = await stat(file);
    const wrapped = ((await storage.get('gone')) as { wrapped: string }).wrapped;
    await keys.erase('gone');
    const after = await readFile(file);
    assert.equal(after.length, before.length);
    assert.equal((await stat(file)).ino, ino, 'no rename: a process appending meanwhile writes to the same file');
    assert.ok(!after.includes(wrapped), 'the wrapped key is in no byte of the file');
    const reopened = await keyringWrappedKeys(keysDir('erase'));
    assert.deepEqual(await reopened.get('gone'), { erased: true });
    assert.equal(await accountKeyStore(reopened, kek).keyFor('gone'), null, 'never made again');
    assert.ok((await accountKeyStore(reopened, kek).keyFor('keep'))!.length === 32);
    await reopened.close();
    await storage.close();
  });

  it('a torn last line (a crash mid-write, never acknowledged) is passed over, and never glued to', async () => {
    const storage = await keyringWrappedKeys(keysDir('torn'));
    await storage.putIfAbsent('whole', 'w1');
    await storage.close();
    await appendFile(path.join(keysDir('torn'), 'keyring'), '{"u":"torn","k":"hal');
    const reopened = await keyringWrappedKeys(keysDir('torn'));
    assert.equal(await reopened.get('torn'), null);
    assert.deepEqual(await reopened.putIfAbsent('next', 'n1'), { wrapped: 'n1' });
    await reopened.close();
    const third = await keyringWrappedKeys(keysDir('torn'));
    assert.deepEqual(
      [await third.get('whole'), await third.get('next'), await third.get('torn')],
      [{ wrapped: 'w1' }, { wrapped: 'n1' }, null],
    );
    await third.close();
  });

  it('still reads the keys an older release left one file per account, without copying them on a read', async () => {
    const legacy = fileWrappedKeys(keysDir('legacy'));
    const old = await accountKeyStore(legacy, kek).keyFor('old');
    const storage = migratingWrappedKeys(await keyringWrappedKeys(keysDir('legacy')), legacy, { copy: false });
    const keys = accountKeyStore(storage, kek);
    assert.deepEqual(await keys.keyFor('old'), old);
    assert.deepEqual(await readdir(keysDir('legacy')), ['old.key'], 'the read wrote nothing');
    await keys.erase('old');
    assert.deepEqual(await accountKeyStore(storage, kek).find('old'), { erased: true });
    assert.deepEqual(await legacy.get('old'), { erased: true });
    await storage.close();
  });
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
