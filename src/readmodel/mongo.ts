// The MongoDB read model (official driver). Collections: users, auth_tokens, checkpoints; _id is the user id or
// checkpoint name. Every write is one guarded single-document operation: no transactions (a standalone mongod has
// none), and redelivering any write is harmless.
//
// Versions, for a rebuild beside running instances: `authstream rebuild` builds a new version into collections of
// its own (users_<version>, auth_tokens_<version>, and its projection's checkpoint `read-model@<version>`), then
// switches the one document read_model_version {_id: 'current', version} to it: a single-document update, atomic on
// any mongod, so a reader sees the old model or the new one, never a mix (renaming three collections would be
// three separate steps). Instances read the pointer at start and poll it (read-model-switch.ts). The first version
// is '' (users, auth_tokens). Other runners' checkpoints (the relay's, email requests') are shared by every version.
import { MongoClient, type Collection, type Db } from 'mongodb';
import type { Position } from '../store/port.js';
import { ReadModelConflictError } from './errors.js';
import {
  integerIdOf,
  PATCHABLE_USER_FIELDS,
  READ_MODEL_CHECKPOINT,
  type AuthTokenDoc,
  type ReadModel,
  type UserDoc,
  type UserPatch,
} from './port.js';

/** idNumber and sortKey serve users/ (order) and the id allocator (the highest integer id ever used). */
type UserRecord = Omit<UserDoc, 'id'> & { _id: string; idNumber: number | null; sortKey: string };
type TokenRecord = Omit<AuthTokenDoc, 'userId'> & { _id: string };
/** What a delete leaves in users or auth_tokens: no indexed field, so it never collides with a live document. */
type Tombstone = { _id: string; revision: number; idNumber?: number | null };
type CheckpointRecord = { _id: string; position: string };

// Partial unique indexes skip documents without the field (tombstones) and '' (users without an email).
// $gt '' is allowed in partialFilterExpression by every mongod since 3.2. Keys are stored normalised by the caller:
// no collations, which the test server cannot honour anyway.
const PRESENT = { $gt: '' };

const isDuplicateKey = (e: unknown): boolean => (e as { code?: unknown } | null)?.code === 11000;
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
/** The URI for messages, without credentials. */
const redact = (uri: string): string => uri.replace(/\/\/[^@/]*@/, '//***@');

// Checkpoints: EventStoreDB positions are u64, beyond a double and a BSON Long (signed). Each half is stored as a
// 20-digit zero-padded decimal, so the string order MongoDB compares (binary, no collation) is the position order.
const DIGITS = 20;
const U64_MAX = 2n ** 64n - 1n;

function encodePosition({ commit, prepare }: Position): string {
  for (const part of [commit, prepare]) {
    if (part < 0n || part > U64_MAX) throw new RangeError(`checkpoint position part out of u64 range: ${part}`);
  }
  return `${commit.toString().padStart(DIGITS, '0')}/${prepare.toString().padStart(DIGITS, '0')}`;
}

function decodePosition(stored: string): Position {
  const [commit = '', prepare = ''] = stored.split('/');
  return { commit: BigInt(commit), prepare: BigInt(prepare) };
}

function toUser(r: UserRecord): UserDoc {
  return {
    id: r._id,
    username: r.username,
    usernameKey: r.usernameKey,
    email: r.email,
    emailKey: r.emailKey,
    firstName: r.firstName,
    lastName: r.lastName,
    profile: r.profile ?? {},
    isActive: r.isActive,
    isStaff: r.isStaff ?? false,
    isSuperuser: r.isSuperuser ?? false,
    sessionEpoch: r.sessionEpoch ?? 0,
    revokedSessions: r.revokedSessions ?? [],
    dateJoined: r.dateJoined,
    lastLogin: r.lastLogin ?? null,
    revision: r.revision,
  };
}

/** The order of users/, as compareUsers: integer ids numerically, then the rest by date joined and id. */
function sortKeyOf(doc: UserDoc): string {
  const n = integerIdOf(doc.id);
  return n !== null ? `0:${String(n).padStart(20, '0')}` : `1:${doc.dateJoined.toISOString()}:${doc.id}`;
}

/** The pointer to the version instances read. */
const VERSION_COLLECTION = 'read_model_version';
type VersionRecord = { _id: 'current'; version: string; previous?: string; switchedAt?: Date };

/** The collections of a version of the read model. */
export const versionCollections = (version: string) =>
  version ? { users: `users_${version}`, tokens: `auth_tokens_${version}` } : { users: 'users', tokens: 'auth_tokens' };

/** A version name as rebuilds make them: `rebuild_<UTC time>`. */
export const newVersionName = (at = new Date()): string =>
  `rebuild_${at.toISOString().replace(/[-:.]/g, '').replace('T', '_').slice(0, 20)}`;

async function createIndexes(db: Db, emailUnique: boolean, version = ''): Promise<void> {
  const names = versionCollections(version);
  const users = db.collection(names.users);
  await users.createIndex(
    { usernameKey: 1 },
    { name: 'usernameKey_unique', unique: true, partialFilterExpression: { usernameKey: PRESENT } },
  );
  // EMAIL_UNIQUE may change between runs: drop the other variant first, or it would keep enforcing the old setting
  // (and a mongod refuses two indexes on one key that differ only in options).
  const [wanted, stale] = emailUnique ? ['emailKey_unique', 'emailKey_1'] : ['emailKey_1', 'emailKey_unique'];
  const existing = (await users.listIndexes().toArray()).map((index) => String(index.name));
  if (existing.includes(stale)) await users.dropIndex(stale);
  await users.createIndex(
    { emailKey: 1 },
    emailUnique ? { name: wanted, unique: true, partialFilterExpression: { emailKey: PRESENT } } : { name: wanted },
  );
  // users/ reads in this order; the id allocator reads the highest integer id.
  await users.createIndex({ sortKey: 1 }, { name: 'sortKey_1' });
  await users.createIndex({ idNumber: -1 }, { name: 'idNumber_-1' });
  await db
    .collection(names.tokens)
    .createIndex({ keyHash: 1 }, { name: 'keyHash_unique', unique: true, partialFilterExpression: { keyHash: PRESENT } });
}

/** The MongoDB read model, with what a rebuild and the switch to its result need. */
export interface VersionedReadModel extends ReadModel {
  /** The version this model reads and writes ('' for the first). */
  readonly version: string;
  /** The version the pointer names now (what instances should read). */
  pointedVersion(): Promise<string>;
  /** The model of another version on the same connection (its indexes made); closing it leaves the connection. */
  openVersion(version: string): Promise<VersionedReadModel>;
  /** Reads and writes `other`'s collections from now on (both are of this connection). */
  adopt(other: VersionedReadModel): void;
  /** Points every instance at this model's version (one atomic update); returns the version pointed at before. */
  makeCurrent(): Promise<string>;
  /** The versions whose collections exist. */
  versions(): Promise<string[]>;
  /** Drops a version's collections and its projection's checkpoint (never the current one's). */
  dropVersion(version: string): Promise<void>;
}

export const isVersionedReadModel = (model: ReadModel): model is VersionedReadModel =>
  typeof (model as Partial<VersionedReadModel>).pointedVersion === 'function';

export async function openMongoReadModel(uri: string, options: { dbName: string; emailUnique: boolean }): Promise<VersionedReadModel> {
  let client: MongoClient;
  try {
    // A few seconds: an unreachable server should fail start-up promptly, not after the driver's default 30 s.
    client = new MongoClient(uri, { serverSelectionTimeoutMS: 3_000, connectTimeoutMS: 3_000 });
  } catch (e) {
    throw new Error(`MONGODB_URI ${redact(uri)} is invalid: ${messageOf(e)}`, { cause: e });
  }
  try {
    await client.connect();
    await client.db(options.dbName).command({ ping: 1 });
  } catch (e) {
    await client.close().catch(() => {});
    throw new Error(`MONGODB_URI ${redact(uri)} unreachable: ${messageOf(e)}`, { cause: e });
  }
  const db = client.db(options.dbName);
  let version: string;
  try {
    version = (await db.collection<VersionRecord>(VERSION_COLLECTION).findOne({ _id: 'current' }))?.version ?? '';
    await createIndexes(db, options.emailUnique, version);
  } catch (e) {
    await client.close().catch(() => {});
    throw new Error(`MongoDB read model: creating indexes in ${options.dbName} failed: ${messageOf(e)}`, { cause: e });
  }
  return new MongoReadModel(client, db, options.emailUnique, version, true);
}

/** One version's collections, swapped as a whole when an instance switches versions. */
interface VersionCollections {
  readonly version: string;
  readonly users: Collection<UserRecord>;
  readonly tokens: Collection<TokenRecord>;
  // The same collections, typed for tombstone writes.
  readonly userTombstones: Collection<Tombstone>;
  readonly tokenTombstones: Collection<Tombstone>;
}

function collectionsOf(db: Db, version: string): VersionCollections {
  const names = versionCollections(version);
  return {
    version,
    users: db.collection(names.users),
    tokens: db.collection(names.tokens),
    userTombstones: db.collection(names.users),
    tokenTombstones: db.collection(names.tokens),
  };
}

class MongoReadModel implements VersionedReadModel {
  private c: VersionCollections;
  private readonly checkpoints: Collection<CheckpointRecord>;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly emailUnique: boolean,
    version: string,
    private readonly ownsClient: boolean,
  ) {
    this.c = collectionsOf(db, version);
    this.checkpoints = db.collection('checkpoints');
  }

  private get users(): Collection<UserRecord> {
    return this.c.users;
  }
  private get tokens(): Collection<TokenRecord> {
    return this.c.tokens;
  }
  private get userTombstones(): Collection<Tombstone> {
    return this.c.userTombstones;
  }
  private get tokenTombstones(): Collection<Tombstone> {
    return this.c.tokenTombstones;
  }

  get version(): string {
    return this.c.version;
  }

  /** The read model's own checkpoint belongs to its version; other runners' are shared. */
  private checkpointId(name: string): string {
    return name === READ_MODEL_CHECKPOINT && this.c.version ? `${name}@${this.c.version}` : name;
  }

  async pointedVersion(): Promise<string> {
    return (await this.db.collection<VersionRecord>(VERSION_COLLECTION).findOne({ _id: 'current' }))?.version ?? '';
  }

  async openVersion(version: string): Promise<VersionedReadModel> {
    await createIndexes(this.db, this.emailUnique, version);
    return new MongoReadModel(this.client, this.db, this.emailUnique, version, false);
  }

  adopt(other: VersionedReadModel): void {
    if (!(other instanceof MongoReadModel) || other.client !== this.client) throw new Error('adopt: a version of another connection');
    this.c = other.c;
  }

  async makeCurrent(): Promise<string> {
    const before = await this.db
      .collection<VersionRecord>(VERSION_COLLECTION)
      .findOneAndUpdate({ _id: 'current' }, { $set: { version: this.c.version, switchedAt: new Date() } }, { upsert: true });
    const previous = before?.version ?? '';
    if (previous !== this.c.version) {
      await this.db.collection<VersionRecord>(VERSION_COLLECTION).updateOne({ _id: 'current' }, { $set: { previous } });
    }
    return previous;
  }

  async versions(): Promise<string[]> {
    const names = (await this.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => String(c.name));
    const found = names.filter((n) => n.startsWith('users_')).map((n) => n.slice('users_'.length));
    return [...(names.includes('users') ? [''] : []), ...found.sort()];
  }

  async dropVersion(version: string): Promise<void> {
    if (version === (await this.pointedVersion())) throw new Error(`read model version '${version}' is the current one`);
    const names = versionCollections(version);
    for (const name of [names.users, names.tokens]) {
      await this.db
        .collection(name)
        .drop()
        .catch((e: unknown) => {
          if ((e as { code?: unknown }).code !== 26) throw e; // NamespaceNotFound
        });
    }
    if (version) await this.checkpoints.deleteOne({ _id: `${READ_MODEL_CHECKPOINT}@${version}` });
  }

  async findUserById(id: string): Promise<UserDoc | null> {
    const record = await this.users.findOne({ _id: id, usernameKey: { $exists: true } }); // not a tombstone
    return record && toUser(record);
  }

  async findUserByUsername(usernameKey: string): Promise<UserDoc | null> {
    const record = usernameKey ? await this.users.findOne({ usernameKey }) : null;
    return record && toUser(record);
  }

  async findUsersByEmail(emailKey: string): Promise<UserDoc[]> {
    if (!emailKey) return [];
    return (await this.users.find({ emailKey }).sort({ _id: 1 }).toArray()).map(toUser);
  }

  async findToken(keyHash: string): Promise<AuthTokenDoc | null> {
    const record = keyHash ? await this.tokens.findOne({ keyHash }) : null;
    return record && { userId: record._id, keyHash: record.keyHash, created: record.created, revision: record.revision };
  }

  async listUsers({ offset, limit }: { offset: number; limit: number }): Promise<UserDoc[]> {
    const live = this.users
      .find({ usernameKey: { $exists: true } })
      .sort({ sortKey: 1 })
      .skip(offset)
      .limit(limit);
    return (await live.toArray()).map(toUser);
  }

  async countUsers(): Promise<number> {
    return this.users.countDocuments({ usernameKey: { $exists: true } });
  }

  async maxIntegerId(): Promise<number> {
    const [top] = await this.userTombstones
      .find({ idNumber: { $gt: 0 } })
      .sort({ idNumber: -1 })
      .limit(1)
      .toArray();
    return top?.idNumber ?? 0;
  }

  async insertUser(doc: UserDoc): Promise<boolean> {
    const { id, ...known } = toUser({ ...doc, _id: doc.id, idNumber: null, sortKey: '' }); // only the known fields
    const fields = { ...known, idNumber: integerIdOf(id), sortKey: sortKeyOf(doc) };
    try {
      // An upsert on _id alone: an existing document (or tombstone) is left untouched; mongod retries the
      // duplicate _id of a concurrent twin itself, so a duplicate key here is the username or email index.
      const result = await this.users.updateOne({ _id: id }, { $setOnInsert: fields }, { upsert: true });
      return result.upsertedCount === 1;
    } catch (e) {
      if (isDuplicateKey(e)) throw await this.userConflict(id, fields.usernameKey, fields.emailKey, e);
      throw e;
    }
  }

  async updateUser(id: string, revision: number, patch: UserPatch): Promise<boolean> {
    const set: Partial<UserRecord> = { revision };
    for (const key of PATCHABLE_USER_FIELDS) if (patch[key] !== undefined && key !== 'profile') Object.assign(set, { [key]: patch[key] });
    // Profile fields are merged one by one (their names are validated identifiers: no dots, no $).
    for (const [field, value] of Object.entries(patch.profile ?? {})) Object.assign(set, { [`profile.${field}`]: value });
    try {
      const result = await this.users.updateOne({ _id: id, revision: { $lt: revision }, usernameKey: { $exists: true } }, { $set: set });
      return result.matchedCount === 1;
    } catch (e) {
      if (isDuplicateKey(e)) throw await this.userConflict(id, patch.usernameKey, patch.emailKey, e);
      throw e;
    }
  }

  async deleteUser(id: string, revision: number): Promise<boolean> {
    const userChanged = await this.tombstone(this.userTombstones, id, revision);
    // The token goes for any user that is now deleted (not only when this call deleted them), so a redelivery
    // finishes a delete interrupted between the two writes. Token first would let a stale delete remove a token.
    const deleted = userChanged || (await this.userTombstones.findOne({ _id: id, usernameKey: { $exists: false } })) !== null;
    const tokenChanged = deleted && (await this.tombstone(this.tokenTombstones, id, revision));
    return userChanged || tokenChanged;
  }

  async setToken(userId: string, revision: number, token: { keyHash: string; created: Date } | null): Promise<boolean> {
    if (!token) return this.tombstone(this.tokenTombstones, userId, revision);
    try {
      const result = await this.tokens.replaceOne(
        { _id: userId, revision: { $lt: revision } },
        { keyHash: token.keyHash, created: token.created, revision },
        { upsert: true },
      );
      return result.matchedCount + result.upsertedCount > 0;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const holder = await this.tokens.findOne({ keyHash: token.keyHash, _id: { $ne: userId } }, { projection: { _id: 1 } });
      if (holder) throw new ReadModelConflictError(`token hash of user ${userId} already belongs to user ${holder._id}`);
      return false; // the guard did not match, so the upsert hit this user's own newer document: a replay
    }
  }

  async loadCheckpoint(name: string): Promise<Position | null> {
    const record = await this.checkpoints.findOne({ _id: this.checkpointId(name) });
    return record && decodePosition(record.position);
  }

  async saveCheckpoint(name: string, position: Position): Promise<void> {
    const encoded = encodePosition(position);
    try {
      await this.checkpoints.updateOne(
        { _id: this.checkpointId(name), position: { $lt: encoded } },
        { $set: { position: encoded } },
        { upsert: true },
      );
    } catch (e) {
      if (!isDuplicateKey(e)) throw e; // duplicate _id: the stored checkpoint is the same or later
    }
  }

  async clear(): Promise<void> {
    // deleteMany, not drop: the indexes stay.
    await Promise.all([this.users.deleteMany({}), this.tokens.deleteMany({}), this.checkpoints.deleteMany({})]);
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  /** Replaces the document with a tombstone where its revision is lower; false if it already holds a later one. */
  private async tombstone(collection: Collection<Tombstone>, id: string, revision: number): Promise<boolean> {
    try {
      const result = await collection.replaceOne(
        { _id: id, revision: { $lt: revision } },
        { revision, idNumber: integerIdOf(id) },
        { upsert: true },
      );
      return result.matchedCount + result.upsertedCount > 0;
    } catch (e) {
      if (isDuplicateKey(e)) return false; // tombstones hold no unique field: only _id can clash, i.e. a newer doc
      throw e;
    }
  }

  /** Names the unique field a write collided on (11000 alone does not say which: keyValue is optional). */
  private async userConflict(id: string, usernameKey: string | undefined, emailKey: string | undefined, cause: unknown): Promise<Error> {
    for (const [field, value] of [
      ['usernameKey', usernameKey],
      ['emailKey', emailKey],
    ] as const) {
      if (!value) continue;
      const holder = await this.users.findOne({ [field]: value, _id: { $ne: id } }, { projection: { _id: 1 } });
      if (holder) return new ReadModelConflictError(`${field} of user ${id} already belongs to user ${holder._id}`);
    }
    return new ReadModelConflictError(`user ${id} collides with another user on a unique index: ${messageOf(cause)}`);
  }
}
