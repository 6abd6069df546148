// The MongoDB read model: the contract and its index behaviour against the wire-protocol test server (always), and
// against a real mongod when MONGODB_URI is set; plus start-up failures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { MongoClient } from 'mongodb';
import { openMongoReadModel } from '../../src/readmodel/mongo.js';
import { ReadModelConflictError } from '../../src/readmodel/errors.js';
import type { UserDoc } from '../../src/readmodel/port.js';
import { describeUnless, skipReason } from '../support/skip.js';
import { startMongoTestServer, type MongoTestServer } from '../support/mongo-server.js';
import { readModelContract } from './read-model.contract.js';

const suffix = (): string => randomBytes(6).toString('hex');

/** A fresh database per suite, dropped afterwards, so runs against a shared server never meet. */
async function dropDatabase(uri: string, dbName: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3_000 });
  try {
    await client.db(dbName).dropDatabase();
  } finally {
    await client.close();
  }
}

function user(emailKey: string): UserDoc {
  const s = suffix();
  return {
    id: `user-${s}`,
    username: `u_${s}`,
    usernameKey: `u_${s}`,
    email: emailKey,
    emailKey,
    firstName: '',
    lastName: '',
    profile: {},
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    sessionEpoch: 0,
    revokedSessions: [],
    dateJoined: new Date(),
    lastLogin: null,
    revision: 0,
  };
}

/** Index behaviour the contract cannot see: EMAIL_UNIQUE, tombstones and '' against the unique email index. */
function mongoIndexSuite(name: string, uri: () => string, skip: string | false): void {
  describeUnless(`mongo read model indexes: ${name}`, skip, () => {
    const dbName = `authstream_test_${suffix()}`;
    after(async () => {
      if (!skip) await dropDatabase(uri(), dbName);
    });

    it('with emailUnique, refuses a second user with a taken email, but not "" nor a deleted user\'s email', async () => {
      const model = await openMongoReadModel(uri(), { dbName, emailUnique: true });
      try {
        const email = `e.${suffix()}@example.com`;
        const first = user(email);
        assert.equal(await model.insertUser(first), true);
        await assert.rejects(model.insertUser(user(email)), ReadModelConflictError);

        assert.equal(await model.insertUser(user('')), true);
        assert.equal(await model.insertUser(user('')), true);

        await model.deleteUser(first.id, 1);
        await model.deleteUser(`user-${suffix()}`, 1); // two tombstones: no collision on the unique indexes either
        assert.equal(await model.insertUser(user(email)), true);
      } finally {
        await model.close();
      }
    });

    it('re-opening is idempotent, and switching emailUnique off drops the unique email index', async () => {
      const email = `e.${suffix()}@example.com`;
      const unique = await openMongoReadModel(uri(), { dbName, emailUnique: true });
      await unique.close();
      const shared = await openMongoReadModel(uri(), { dbName, emailUnique: false });
      try {
        const [a, b] = [user(email), user(email)];
        assert.equal(await shared.insertUser(a), true);
        assert.equal(await shared.insertUser(b), true);
        assert.equal((await shared.findUsersByEmail(email)).length, 2);
      } finally {
        await shared.close();
      }
      // Back to unique with duplicates stored: open() must say why it fails.
      await assert.rejects(openMongoReadModel(uri(), { dbName, emailUnique: true }), /creating indexes in .* failed/);
    });
  });
}

let server: MongoTestServer | undefined;
const testServerUri = (): string => {
  assert.ok(server, 'mongo test server not started');
  return server.uri;
};

describe('mongo read model against the wire-protocol test server', () => {
  before(async () => {
    server = await startMongoTestServer();
  });
  after(async () => {
    await server?.stop();
  });

  readModelContract('mongo (test server)', async () => ({
    model: await openMongoReadModel(testServerUri(), { dbName: `authstream_test_${suffix()}`, emailUnique: false }),
  }));
  mongoIndexSuite('test server', testServerUri, false);

  // What the driver sees must match a standalone mongod, or tests here would pass where production fails.
  describe('the test server itself', () => {
    let client: MongoClient;
    const dbName = `server_test_${suffix()}`;
    before(async () => {
      client = await new MongoClient(testServerUri(), { serverSelectionTimeoutMS: 3_000 }).connect();
    });
    after(async () => {
      await client.db(dbName).dropDatabase();
      await client.close();
    });

    it('pages a find through getMore, and serves parallel connections', async () => {
      const docs = client.db(dbName).collection<{ _id: number }>('many');
      await Promise.all(Array.from({ length: 250 }, (_, i) => docs.insertOne({ _id: i })));
      const found = await docs.find({}, { batchSize: 40 }).sort({ _id: -1 }).toArray();
      assert.deepEqual(
        found.map((d) => d._id),
        Array.from({ length: 250 }, (_, i) => 249 - i),
      );
    });

    it('rejects transactions and change streams like a standalone, and collations it cannot honour', async () => {
      const coll = client.db(dbName).collection('standalone');
      await coll.insertOne({ _id: 'x' } as never);
      const session = client.startSession();
      try {
        session.startTransaction();
        await assert.rejects(coll.insertOne({ _id: 'y' } as never, { session }), /does not support retryable writes|Transaction numbers/);
        await session.abortTransaction().catch(() => {});
      } finally {
        await session.endSession();
      }
      const stream = coll.watch();
      await assert.rejects(stream.tryNext(), { code: 40573 });
      await stream.close();
      await assert.rejects(coll.findOne({ _id: 'X' } as never, { collation: { locale: 'en', strength: 2 } }), { code: 238 });
    });
  });
});

const realSkip = skipReason('MONGODB_URI', 'MongoDB read model against a real mongod');
const realUri = (): string => process.env.MONGODB_URI ?? '';
readModelContract(
  'mongo (MONGODB_URI)',
  async () => {
    const dbName = `authstream_test_${suffix()}`;
    return {
      model: await openMongoReadModel(realUri(), { dbName, emailUnique: false }),
      cleanup: () => dropDatabase(realUri(), dbName),
    };
  },
  { skip: realSkip },
);
mongoIndexSuite('MONGODB_URI', realUri, realSkip);

describe('openMongoReadModel start-up failures', () => {
  it('fails quickly and clearly on an unreachable server, without leaking credentials', async () => {
    const port = await closedPort();
    const started = Date.now();
    await assert.rejects(
      openMongoReadModel(`mongodb://reader:s3cret@127.0.0.1:${port}/`, { dbName: 'x', emailUnique: false }),
      (e: Error) => {
        assert.match(e.message, new RegExp(`^MONGODB_URI mongodb://\\*\\*\\*@127\\.0\\.0\\.1:${port}/ unreachable: `));
        assert.doesNotMatch(e.message, /s3cret/);
        return true;
      },
    );
    assert.ok(Date.now() - started < 10_000, 'open() should give up within seconds');
  });

  it('fails clearly on a malformed URI', async () => {
    await assert.rejects(
      openMongoReadModel('not-a-mongodb-uri', { dbName: 'x', emailUnique: false }),
      /^Error: MONGODB_URI not-a-mongodb-uri is invalid: /,
    );
  });
});

/** A port nothing listens on: bind a free one, then release it. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
