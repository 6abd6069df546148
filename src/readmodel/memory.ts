// The embedded read model: plain maps, filled at start from its snapshot (src/readmodel/snapshot.ts) and the log's
// tail after it, or from the whole log, by the projections.
// It mirrors the MongoDB adapter exactly (tombstones, guards, uniqueness), so both pass the same contract:
// usernames and token hashes are unique; emails are not (the write side enforces EMAIL_UNIQUE).
// A stored document is never changed in place (every write stores a new one), so capture() can hand out the stored
// objects themselves: a snapshot taken between two writes stays that state however long it takes to write out.
import { comparePositions, type Position } from '../store/port.js';
import { ReadModelConflictError } from './errors.js';
import {
  compareUsers,
  integerIdOf,
  PATCHABLE_USER_FIELDS,
  type AuthTokenDoc,
  type ReadModel,
  type UserDoc,
  type UserPatch,
} from './port.js';

/**
 * A user as the model stores it: its dates as epoch milliseconds (NaN for an invalid date), made Dates again when
 * read. A Date is an object of its own: three per account (two here, one per token) were a fifth of the model's
 * memory and much of the work of loading its snapshot, and reads copy every document anyway.
 */
export type StoredUser = Omit<UserDoc, 'dateJoined' | 'lastLogin'> & { readonly dateJoined: number; readonly lastLogin: number | null };
export type StoredToken = Omit<AuthTokenDoc, 'created'> & { readonly created: number };

/**
 * What the model holds under a user id: the document itself, or its tombstone, whose revision outlives the document
 * so replays cannot resurrect it. Not a wrapper around the document: that was an object per user and per token.
 */
export interface UserTombstone {
  readonly id: string;
  readonly revision: number;
  readonly deleted: true;
}
export interface TokenTombstone {
  readonly userId: string;
  readonly revision: number;
  readonly deleted: true;
}
export type UserSlot = StoredUser | UserTombstone;
export type TokenSlot = StoredToken | TokenTombstone;

/** Whether a slot is a tombstone (a live document never has a `deleted` field). */
export const isTombstone = (slot: UserSlot | TokenSlot): slot is UserTombstone | TokenTombstone => 'deleted' in slot;
/** The document in a slot; null for a tombstone or no slot. */
const liveUserOf = (slot: UserSlot | undefined): StoredUser | null => (slot === undefined || isTombstone(slot) ? null : slot);
const liveTokenOf = (slot: TokenSlot | undefined): StoredToken | null => (slot === undefined || isTombstone(slot) ? null : slot);

/** Everything the model holds; its indexes are functions of it (rebuilt by restore()). */
export interface MemoryState {
  readonly users: readonly UserSlot[];
  readonly tokens: readonly TokenSlot[];
  readonly checkpoints: readonly (readonly [string, Position])[];
  /** The highest integer id any user ever had (tombstones included). */
  readonly maxIntegerId: number;
}

/** The in-memory read model, with what its snapshot needs. */
export interface MemoryReadModel extends ReadModel {
  /** The whole state as it is now, taken synchronously (so between two writes); the documents are shared, not copied. */
  capture(): MemoryState;
  /** Replaces the whole state (at start, before the projections run); the indexes are rebuilt from the documents. */
  restore(state: MemoryState): void;
  /** The indexes, sorted, for tests that compare two models. */
  indexes(): { byUsername: [string, string][]; byEmail: [string, string[]][]; byHash: [string, string][] };
}

/** A key that equals its field is kept as the field's own string: one string in memory, not two equal ones. */
const sameString = (key: string, field: string): string => (key === field ? field : key);

// Copies in and out: callers keep no reference into the maps (Dates are mutable, so freezing would not be enough).
type UserFields = Omit<UserDoc, 'dateJoined' | 'lastLogin'>;
function copyWithDates<J, L>(u: UserFields, dateJoined: J, lastLogin: L): UserFields & { dateJoined: J; lastLogin: L } {
  return {
    id: u.id,
    username: u.username,
    usernameKey: sameString(u.usernameKey, u.username),
    email: u.email,
    emailKey: sameString(u.emailKey, u.email),
    firstName: u.firstName,
    lastName: u.lastName,
    profile: { ...u.profile },
    isActive: u.isActive,
    isStaff: u.isStaff,
    isSuperuser: u.isSuperuser,
    sessionEpoch: u.sessionEpoch,
    revokedSessions: [...u.revokedSessions],
    dateJoined,
    lastLogin,
    revision: u.revision,
  };
}

const userOut = (u: StoredUser): UserDoc => copyWithDates(u, new Date(u.dateJoined), u.lastLogin === null ? null : new Date(u.lastLogin));
const userIn = (u: UserDoc): StoredUser => copyWithDates(u, u.dateJoined.getTime(), u.lastLogin === null ? null : u.lastLogin.getTime());

function tokenOut(t: StoredToken): AuthTokenDoc {
  return { userId: t.userId, keyHash: t.keyHash, created: new Date(t.created), revision: t.revision };
}

export const isMemoryReadModel = (model: ReadModel): model is MemoryReadModel =>
  typeof (model as Partial<MemoryReadModel>).capture === 'function' && typeof (model as Partial<MemoryReadModel>).restore === 'function';

export function createMemoryReadModel(): MemoryReadModel {
  const users = new Map<string, UserSlot>();
  const byUsername = new Map<string, string>(); // usernameKey -> id
  // emailKey -> its user's id, or the ids of several ('' is never indexed): one email is nearly always one user, and a
  // Set per user would be most of the index's memory.
  const byEmail = new Map<string, string | Set<string>>();
  const tokens = new Map<string, TokenSlot>(); // userId ->
  const byHash = new Map<string, string>(); // keyHash -> userId
  const checkpoints = new Map<string, Position>();
  // Tombstones keep their ids too: an id is never handed out twice.
  let maxId = 0;
  const sawId = (id: string) => (maxId = Math.max(maxId, integerIdOf(id) ?? 0));

  function assertUsernameFree(user: StoredUser): void {
    const holder = user.usernameKey === '' ? undefined : byUsername.get(user.usernameKey);
    if (holder !== undefined && holder !== user.id) {
      throw new ReadModelConflictError(`usernameKey of user ${user.id} already belongs to user ${holder}`);
    }
  }

  function index(user: StoredUser): void {
    // '' (the email user model has no username) is never a key anyone holds.
    if (user.usernameKey !== '') byUsername.set(user.usernameKey, user.id);
    if (user.emailKey === '') return;
    const ids = byEmail.get(user.emailKey);
    if (ids === undefined || ids === user.id) byEmail.set(user.emailKey, user.id);
    else if (typeof ids === 'string') byEmail.set(user.emailKey, new Set([ids, user.id]));
    else ids.add(user.id);
  }

  function unindex(user: StoredUser): void {
    if (byUsername.get(user.usernameKey) === user.id) byUsername.delete(user.usernameKey);
    const ids = byEmail.get(user.emailKey);
    if (ids === user.id) byEmail.delete(user.emailKey);
    else if (typeof ids === 'object') {
      ids.delete(user.id);
      if (ids.size === 1) byEmail.set(user.emailKey, ids.values().next().value!);
    }
  }

  function liveUser(id: string): StoredUser | null {
    return liveUserOf(users.get(id));
  }

  /** Replaces the user's token slot (a token or a tombstone) where its revision is lower. */
  function putToken(userId: string, revision: number, token: StoredToken | null): boolean {
    if (token) {
      const holder = byHash.get(token.keyHash);
      if (holder !== undefined && holder !== userId) {
        throw new ReadModelConflictError(`token hash of user ${userId} already belongs to user ${holder}`);
      }
    }
    const slot = tokens.get(userId);
    if (slot && slot.revision >= revision) return false;
    const current = liveTokenOf(slot);
    if (current) byHash.delete(current.keyHash);
    if (token) byHash.set(token.keyHash, userId);
    tokens.set(userId, token ?? { userId, revision, deleted: true });
    return true;
  }

  const sorted = <T>(entries: Iterable<[string, T]>): [string, T][] => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  return {
    async findUserById(id) {
      const user = liveUser(id);
      return user && userOut(user);
    },
    async findUserByUsername(usernameKey) {
      const id = byUsername.get(usernameKey);
      const user = id === undefined ? null : liveUser(id);
      return user && userOut(user);
    },
    async findUsersByEmail(emailKey) {
      const found = byEmail.get(emailKey);
      const ids = found === undefined ? [] : typeof found === 'string' ? [found] : [...found].sort();
      return ids
        .map((id) => liveUser(id))
        .filter((u): u is StoredUser => u !== null)
        .map(userOut);
    },
    async findToken(keyHash) {
      const userId = byHash.get(keyHash);
      const token = userId === undefined ? null : liveTokenOf(tokens.get(userId));
      return token && tokenOut(token);
    },
    async listUsers({ offset, limit }) {
      const found = [...users.values()].filter((slot): slot is StoredUser => !isTombstone(slot));
      return found
        .sort(compareUsers)
        .slice(offset, offset + limit)
        .map(userOut);
    },
    async countUsers() {
      let n = 0;
      for (const slot of users.values()) if (!isTombstone(slot)) n++;
      return n;
    },
    async maxIntegerId() {
      return maxId;
    },

    async insertUser(doc) {
      if (users.has(doc.id)) return false; // the user, or their tombstone
      const user = userIn(doc);
      assertUsernameFree(user);
      users.set(user.id, user);
      index(user);
      sawId(user.id);
      return true;
    },
    async updateUser(id, revision, patch: UserPatch) {
      const current = liveUser(id);
      if (!current || current.revision >= revision) return false;
      // The stored document is never changed: the next one shares its unchanged fields, and copies what the patch
      // brings that is mutable (a replay applies a few updates per account: this is its hot path).
      const next: Record<string, unknown> = { ...current, revision };
      for (const key of PATCHABLE_USER_FIELDS) if (patch[key] !== undefined) next[key] = patch[key];
      if (patch.profile) next.profile = { ...current.profile, ...patch.profile };
      if (patch.revokedSessions) next.revokedSessions = [...patch.revokedSessions];
      if (patch.lastLogin) next.lastLogin = patch.lastLogin.getTime();
      next.usernameKey = sameString(next.usernameKey as string, next.username as string);
      next.emailKey = sameString(next.emailKey as string, next.email as string);
      const doc = next as unknown as StoredUser;
      // The indexes change only with the keys.
      const rekeyed = doc.usernameKey !== current.usernameKey || doc.emailKey !== current.emailKey;
      if (rekeyed) {
        assertUsernameFree(doc);
        unindex(current);
      }
      users.set(id, doc);
      if (rekeyed) index(doc);
      return true;
    },
    async deleteUser(id, revision) {
      // Same steps as the MongoDB adapter: the user, then the token of any user that is now deleted. Keying the token
      // step on the tombstone (not on this call's change) lets a redelivery finish a delete interrupted in between.
      const slot = users.get(id);
      const userChanged = !slot || slot.revision < revision;
      if (userChanged) {
        const current = liveUserOf(slot);
        if (current) unindex(current);
        users.set(id, { id, revision, deleted: true });
        sawId(id);
      }
      const after = users.get(id);
      const deleted = after !== undefined && isTombstone(after);
      const tokenChanged = deleted && putToken(id, revision, null);
      return userChanged || tokenChanged;
    },
    async setToken(userId, revision, token) {
      const id = users.get(userId)?.id ?? userId; // the user's own id string, not an equal copy
      const doc = token && { userId: id, keyHash: token.keyHash, created: token.created.getTime(), revision };
      return putToken(id, revision, doc);
    },

    async loadCheckpoint(name) {
      const position = checkpoints.get(name);
      return position ? { commit: position.commit, prepare: position.prepare } : null;
    },
    async saveCheckpoint(name, position) {
      const current = checkpoints.get(name);
      if (current && comparePositions(position, current) <= 0) return;
      checkpoints.set(name, { commit: position.commit, prepare: position.prepare });
    },

    async clear() {
      for (const map of [users, byUsername, byEmail, tokens, byHash, checkpoints]) map.clear();
      maxId = 0;
    },
    async close() {},

    capture() {
      return {
        users: [...users.values()],
        tokens: [...tokens.values()],
        checkpoints: [...checkpoints].map(([name, p]) => [name, { commit: p.commit, prepare: p.prepare }] as const),
        maxIntegerId: maxId,
      };
    },
    restore(state) {
      for (const map of [users, byUsername, byEmail, tokens, byHash, checkpoints]) map.clear();
      for (const slot of state.users) {
        users.set(slot.id, slot);
        if (!isTombstone(slot)) index(slot);
      }
      for (const slot of state.tokens) {
        tokens.set(slot.userId, slot);
        if (!isTombstone(slot)) byHash.set(slot.keyHash, slot.userId);
      }
      for (const [name, p] of state.checkpoints) checkpoints.set(name, { commit: p.commit, prepare: p.prepare });
      maxId = state.maxIntegerId;
    },
    indexes() {
      return {
        byUsername: sorted(byUsername),
        byEmail: sorted([...byEmail].map(([key, ids]) => [key, typeof ids === 'string' ? [ids] : [...ids].sort()] as [string, string[]])),
        byHash: sorted(byHash),
      };
    },
  };
}
