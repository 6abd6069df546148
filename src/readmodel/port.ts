// The read-model port: what queries and logins read, and what projections write.
// Adapters: memory (embedded default) and MongoDB; both pass test/contract/read-model.contract.ts.
import type { Position } from '../store/port.js';

export interface UserDoc {
  readonly id: string;
  readonly username: string;
  /** Normalised username (NFKC, case-folded): lookups and the unique index use it. */
  readonly usernameKey: string;
  /** '' when the user gave none (Django's default user). */
  readonly email: string;
  /** Normalised email (trimmed, lower-cased); '' when none. Unique only when EMAIL_UNIQUE. */
  readonly emailKey: string;
  readonly firstName: string;
  readonly lastName: string;
  /** The model's own fields (USER_FIELDS). */
  readonly profile: Readonly<Record<string, string>>;
  readonly isActive: boolean;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  /** JWTs carry the epoch they were issued in: one older than this is refused (every session ended). */
  readonly sessionEpoch: number;
  /** JWT sessions ended one by one, `<session id>@<expiry in Unix seconds>`, kept until they would have expired. */
  readonly revokedSessions: readonly string[];
  readonly dateJoined: Date;
  readonly lastLogin: Date | null;
  /** Revision of the last event of the user's stream applied to this document. */
  readonly revision: number;
}

/** A change to a user document; `profile` holds only the fields that change (merged into the stored ones). */
export type UserPatch = Partial<Omit<UserDoc, 'id' | 'revision' | 'dateJoined'>>;

export interface AuthTokenDoc {
  readonly userId: string;
  /** sha256 hex of the token key; the key itself is never stored. */
  readonly keyHash: string;
  readonly created: Date;
  readonly revision: number;
}

/** The checkpoint name of the read-model projection (src/roles/api.ts), which belongs with the model's documents. */
export const READ_MODEL_CHECKPOINT = 'read-model';

export interface ReadModel {
  findUserById(id: string): Promise<UserDoc | null>;
  findUserByUsername(usernameKey: string): Promise<UserDoc | null>;
  /** Every user with this normalised email ('' never matches). */
  findUsersByEmail(emailKey: string): Promise<UserDoc[]>;
  findToken(keyHash: string): Promise<AuthTokenDoc | null>;
  /**
   * Live users in id order (integer ids numerically, then the rest by date joined and id), `limit` of them after
   * the first `offset`; for users/ (staff see everyone, inactive users included).
   */
  listUsers(page: { offset: number; limit: number }): Promise<UserDoc[]>;
  countUsers(): Promise<number>;
  /** The highest integer id any user ever had, deleted ones included (ids are never reused); 0 when none. */
  maxIntegerId(): Promise<number>;

  // Projection writes. Each is idempotent: guarded by the stream revision it applies, so replaying or redelivering
  // an event changes nothing. They return whether anything changed.

  /** Inserts the user unless a document with this id already exists. */
  insertUser(doc: UserDoc): Promise<boolean>;
  /** Applies the patch and sets `revision` only where the stored revision is lower than `revision`. */
  updateUser(id: string, revision: number, patch: UserPatch): Promise<boolean>;
  /**
   * Removes the user (and their token) where the stored revision is lower than `revision`.
   * Leaves a tombstone that holds only id and revision, so a redelivered older event cannot resurrect the user;
   * the username and email are free again at once.
   */
  deleteUser(id: string, revision: number): Promise<boolean>;
  /** Sets (or with null, removes) the user's one auth token, where the token's stored revision is lower. */
  setToken(userId: string, revision: number, token: { keyHash: string; created: Date } | null): Promise<boolean>;

  /** The position a projection runner last stored under this name. */
  loadCheckpoint(name: string): Promise<Position | null>;
  /** Stores the position; never moves a checkpoint backwards. */
  saveCheckpoint(name: string, position: Position): Promise<void>;

  /** Drops every document (for a rebuild from the log). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** The fields of a user document that projections may patch. */
export const PATCHABLE_USER_FIELDS = [
  'username',
  'usernameKey',
  'email',
  'emailKey',
  'firstName',
  'lastName',
  'profile',
  'isActive',
  'isStaff',
  'isSuperuser',
  'sessionEpoch',
  'revokedSessions',
  'lastLogin',
] as const;

/** Whether a JWT of this session (and epoch) is refused by the user's document. */
export function sessionRevoked(user: UserDoc, sid: string | undefined, epoch: number): boolean {
  if (epoch !== user.sessionEpoch) return true;
  return sid !== undefined && user.revokedSessions.some((entry) => entry.slice(0, entry.lastIndexOf('@')) === sid);
}

/** An integer id's number (Django's AutoField); null for a UUID. */
export const integerIdOf = (id: string): number | null => (/^[1-9][0-9]{0,17}$/.test(id) ? Number(id) : null);

/** What users/ are ordered by: a document, or the memory model's stored form (its date joined in milliseconds). */
export interface UserOrderKey {
  readonly id: string;
  readonly dateJoined: Date | number;
}

/** An invalid date joined sorts before every valid one: a total order, whatever order the users come in. */
const joinedAt = (u: UserOrderKey): number => {
  const t = Number(u.dateJoined);
  return Number.isNaN(t) ? -Infinity : t;
};

/** users/ order: integer ids numerically first, then the rest by date joined, then id. */
export function compareUsers(a: UserOrderKey, b: UserOrderKey): number {
  const [x, y] = [integerIdOf(a.id), integerIdOf(b.id)];
  if (x !== null || y !== null) return x === null ? 1 : y === null ? -1 : x - y;
  const [s, t] = [joinedAt(a), joinedAt(b)];
  return s < t ? -1 : s > t ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
