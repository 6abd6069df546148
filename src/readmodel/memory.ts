// The embedded read model: plain maps, filled by the projections from the whole log, or from the log's tail after
// the snapshot a start loaded (src/readmodel/snapshot.ts). A loaded snapshot is not copied into the maps: it stays
// as read (memory-base.ts), and the maps shadow it for every account written since, so a lookup asks the maps first
// and the base only for an id they do not hold. An index hit in the base counts only for an account the maps do not
// hold: one they hold is indexed by the maps, under its keys as they are now. Once the maps hold FOLD_SLOTS slots,
// they are folded into a new base (their rows added to it, the rows they superseded marked dead), so the heap holds
// what changed since, whatever the model's size.
// It mirrors the MongoDB adapter exactly (tombstones, guards, uniqueness), so both pass the same contract:
// usernames and token hashes are unique; emails are not (the write side enforces EMAIL_UNIQUE).
// A stored document is never changed in place (every write stores a new one), so capture() can hand out the stored
// objects themselves: a snapshot taken between two writes stays that state however long it takes to write out.
import { comparePositions, type Position } from '../store/port.js';
import { ReadModelConflictError } from './errors.js';
import { MemoryBase } from './memory-base.js';
import {
  isTombstone,
  type StoredToken,
  type StoredUser,
  type TokenSlot,
  type TokenTombstone,
  type UserSlot,
  type UserTombstone,
} from './memory-slots.js';
import {
  compareUsers,
  integerIdOf,
  PATCHABLE_USER_FIELDS,
  type AuthTokenDoc,
  type ReadModel,
  type UserDoc,
  type UserPatch,
} from './port.js';

export { isTombstone, type StoredToken, type StoredUser, type TokenSlot, type TokenTombstone, type UserSlot, type UserTombstone };

/** The document in a slot; null for a tombstone or no slot. */
const liveUserOf = (slot: UserSlot | undefined): StoredUser | null => (slot === undefined || isTombstone(slot) ? null : slot);
const liveTokenOf = (slot: TokenSlot | undefined): StoredToken | null => (slot === undefined || isTombstone(slot) ? null : slot);

/** Everything the model holds; its indexes are functions of it (rebuilt by restore()). */
export interface MemoryState {
  /** The loaded snapshot the maps shadow, or null. */
  readonly base: MemoryBase | null;
  /** The slots of the maps: every account written since the base was loaded or last folded into (all, without one). */
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

/** The base's rows that are not `hidden` (dead, or shadowed by the maps), then `slots` (the maps' slots). */
function* unshadowed<S>(rows: number, hidden: (row: number) => boolean, slotAt: (row: number) => S, slots: Iterable<S>) {
  for (let row = 0; row < rows; row++) if (!hidden(row)) yield slotAt(row);
  yield* slots;
}

/** Every user slot of a state: the base's that the maps do not shadow, then the maps'. */
export function userSlotsOf({ base, users }: MemoryState): Iterable<UserSlot> {
  if (!base) return users;
  const ids = new Set(users.map((u) => u.id));
  return unshadowed(
    base.users,
    (r) => base.isDeadUserAt(r) || ids.has(base.userIdAt(r)),
    (r) => base.userAt(r),
    users,
  );
}

/** Every token slot of a state, the same way. */
export function tokenSlotsOf({ base, tokens }: MemoryState): Iterable<TokenSlot> {
  if (!base) return tokens;
  const ids = new Set(tokens.map((t) => t.userId));
  return unshadowed(
    base.tokens,
    (r) => base.isDeadTokenAt(r) || ids.has(base.tokenUserIdAt(r)),
    (r) => base.tokenAt(r),
    tokens,
  );
}

/** How many user and token slots a state holds (a slot of the base that the maps shadow counts once). */
export function slotCounts(state: MemoryState): { users: number; tokens: number } {
  const { base, users, tokens } = state;
  if (!base) return { users: users.length, tokens: tokens.length };
  return {
    users: base.userSlots + users.filter((u) => base.userRow(u.id) < 0).length,
    tokens: base.tokenSlots + tokens.filter((t) => base.tokenRowOfUser(t.userId) < 0).length,
  };
}

export interface MemoryReadModelOptions {
  /** Fold the maps into the base once they hold this many slots (FOLD_SLOTS; tests fold every few writes). */
  readonly foldSlots?: number;
}

/**
 * Once the maps hold this many user and token slots, they are folded into the base: ~400 bytes of heap a slot
 * become ~150 off it, so a model of millions of accounts (a full replay of a big log) is mostly bases, not objects,
 * and the heap stays small enough that V8's slack over it stays small too (at 100k a 10M-event cold start peaked at
 * 1,036 MiB, at 50k at 800). A fold encodes just the maps' slots and copies the base's tables (11–247 ms at 1M
 * accounts); when the rows pass a power of two the tables are rebuilt (538 ms there), and once dead rows are half
 * the base its live rows are written again: pauses of the event loop, one per 50k slots written.
 */
export const FOLD_SLOTS = 50_000;

export function createMemoryReadModel(options: MemoryReadModelOptions = {}): MemoryReadModel {
  const foldSlots = options.foldSlots ?? FOLD_SLOTS;
  let base: MemoryBase | null = null;
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

  /** The user's slot: the maps' if they hold one, else the base's. */
  function userSlot(id: string): UserSlot | undefined {
    const slot = users.get(id);
    if (slot !== undefined || base === null) return slot;
    const row = base.userRow(id);
    return row < 0 ? undefined : base.userAt(row);
  }
  function tokenSlot(userId: string): TokenSlot | undefined {
    const slot = tokens.get(userId);
    if (slot !== undefined || base === null) return slot;
    const row = base.tokenRowOfUser(userId);
    return row < 0 ? undefined : base.tokenAt(row);
  }

  /** The id of the live user holding a username key, in the maps or else in the base, if any. */
  function usernameHolder(key: string): string | undefined {
    const id = byUsername.get(key);
    if (id !== undefined || base === null) return id;
    const row = base.usernameRow(key);
    if (row < 0) return undefined;
    const baseId = base.userIdAt(row);
    return users.has(baseId) ? undefined : baseId;
  }
  /** The user id of the live token of a hash, the same way. */
  function hashHolder(keyHash: string): string | undefined {
    const userId = byHash.get(keyHash);
    if (userId !== undefined || base === null) return userId;
    const row = base.tokenRowOfHash(keyHash);
    if (row < 0) return undefined;
    const baseUserId = base.tokenUserIdAt(row);
    return tokens.has(baseUserId) ? undefined : baseUserId;
  }

  function assertUsernameFree(user: StoredUser): void {
    const holder = user.usernameKey === '' ? undefined : usernameHolder(user.usernameKey);
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

  // A user the maps did not hold (from the base) is in none of their indexes: this finds nothing to remove.
  function unindex(user: StoredUser): void {
    if (byUsername.get(user.usernameKey) === user.id) byUsername.delete(user.usernameKey);
    const ids = byEmail.get(user.emailKey);
    if (ids === user.id) byEmail.delete(user.emailKey);
    else if (typeof ids === 'object') {
      ids.delete(user.id);
      if (ids.size === 1) byEmail.set(user.emailKey, ids.values().next().value!);
    }
  }

  /** Replaces the user's token slot (a token or a tombstone) where its revision is lower. */
  function putToken(userId: string, revision: number, token: StoredToken | null): boolean {
    if (token) {
      const holder = hashHolder(token.keyHash);
      if (holder !== undefined && holder !== userId) {
        throw new ReadModelConflictError(`token hash of user ${userId} already belongs to user ${holder}`);
      }
    }
    const slot = tokenSlot(userId);
    if (slot && slot.revision >= revision) return false;
    const current = liveTokenOf(slot);
    if (current) byHash.delete(current.keyHash);
    if (token) byHash.set(token.keyHash, userId);
    tokens.set(userId, token ?? { userId, revision, deleted: true });
    return true;
  }

  /**
   * After a write: when the maps are full, everything they hold moves into a new base (the old one is left as it
   * was, for any capture() still being written out). Returns what the write returned.
   */
  function folded<T>(result: T): T {
    if (users.size + tokens.size < foldSlots) return result;
    const [userSlots, tokenSlots] = [[...users.values()], [...tokens.values()]];
    base = base ? base.extendedWith(userSlots, tokenSlots) : MemoryBase.of(userSlots, tokenSlots);
    for (const map of [users, byUsername, byEmail, tokens, byHash]) map.clear();
    return result;
  }

  /** Every live user, the base's that the maps do not shadow included. */
  function* liveUsers(): Generator<StoredUser> {
    const from = base;
    const slots = from
      ? unshadowed(
          from.users,
          (r) => from.isDeadUserAt(r) || users.has(from.userIdAt(r)),
          (r) => from.userAt(r),
          users.values(),
        )
      : users.values();
    for (const slot of slots) if (!isTombstone(slot)) yield slot;
  }

  const sorted = <T>(entries: Iterable<[string, T]>): [string, T][] => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  return {
    async findUserById(id) {
      const user = liveUserOf(userSlot(id));
      return user && userOut(user);
    },
    async findUserByUsername(usernameKey) {
      const id = usernameHolder(usernameKey);
      const user = id === undefined ? null : liveUserOf(userSlot(id));
      return user && userOut(user);
    },
    async findUsersByEmail(emailKey) {
      const found = byEmail.get(emailKey);
      const ids = found === undefined ? [] : typeof found === 'string' ? [found] : [...found];
      if (base && emailKey !== '') {
        for (const row of base.emailRows(emailKey)) {
          const id = base.userIdAt(row);
          if (!users.has(id)) ids.push(id);
        }
      }
      return ids
        .sort()
        .map((id) => liveUserOf(userSlot(id)))
        .filter((u): u is StoredUser => u !== null)
        .map(userOut);
    },
    async findToken(keyHash) {
      const userId = hashHolder(keyHash);
      const token = userId === undefined ? null : liveTokenOf(tokenSlot(userId));
      return token && tokenOut(token);
    },
    async listUsers({ offset, limit }) {
      return [...liveUsers()]
        .sort(compareUsers)
        .slice(offset, offset + limit)
        .map(userOut);
    },
    async countUsers() {
      let n = base?.liveUsers ?? 0;
      for (const [id, slot] of users) {
        if (!isTombstone(slot)) n++;
        const row = base ? base.userRow(id) : -1;
        if (row >= 0 && base!.isLiveUserAt(row)) n--;
      }
      return n;
    },
    async maxIntegerId() {
      return maxId;
    },

    async insertUser(doc) {
      if (userSlot(doc.id) !== undefined) return false; // the user, or their tombstone
      const user = userIn(doc);
      assertUsernameFree(user);
      users.set(user.id, user);
      index(user);
      sawId(user.id);
      return folded(true);
    },
    async updateUser(id, revision, patch: UserPatch) {
      const fromMaps = users.has(id);
      const current = liveUserOf(userSlot(id));
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
      // The indexes change only with the keys, or when the user comes from the base into the maps (whose indexes
      // must hold it from now on: the base's index no longer counts for it).
      const rekeyed = doc.usernameKey !== current.usernameKey || doc.emailKey !== current.emailKey;
      if (rekeyed) {
        assertUsernameFree(doc);
        unindex(current);
      }
      users.set(id, doc);
      if (rekeyed || !fromMaps) index(doc);
      return folded(true);
    },
    async deleteUser(id, revision) {
      // Same steps as the MongoDB adapter: the user, then the token of any user that is now deleted. Keying the token
      // step on the tombstone (not on this call's change) lets a redelivery finish a delete interrupted in between.
      const slot = userSlot(id);
      const userChanged = !slot || slot.revision < revision;
      if (userChanged) {
        const current = liveUserOf(slot);
        if (current) unindex(current);
        users.set(id, { id, revision, deleted: true });
        sawId(id);
      }
      const after = userSlot(id);
      const deleted = after !== undefined && isTombstone(after);
      const tokenChanged = deleted && putToken(id, revision, null);
      return folded(userChanged || tokenChanged);
    },
    async setToken(userId, revision, token) {
      const id = users.get(userId)?.id ?? userId; // the user's own id string, not an equal copy
      const doc = token && { userId: id, keyHash: token.keyHash, created: token.created.getTime(), revision };
      return folded(putToken(id, revision, doc));
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
      base = null;
      maxId = 0;
    },
    async close() {},

    capture() {
      return {
        base,
        users: [...users.values()],
        tokens: [...tokens.values()],
        checkpoints: [...checkpoints].map(([name, p]) => [name, { commit: p.commit, prepare: p.prepare }] as const),
        maxIntegerId: maxId,
      };
    },
    restore(state) {
      for (const map of [users, byUsername, byEmail, tokens, byHash, checkpoints]) map.clear();
      base = state.base;
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
      // What the lookups see: the maps' indexes, and the base's entries for the accounts the maps do not hold.
      const usernames: [string, string][] = [...byUsername];
      const emails = new Map<string, string[]>([...byEmail].map(([key, ids]) => [key, typeof ids === 'string' ? [ids] : [...ids]]));
      const hashes: [string, string][] = [...byHash];
      if (base) {
        for (let row = 0; row < base.users; row++) {
          if (base.isDeadUserAt(row)) continue;
          const slot = base.userAt(row);
          if (isTombstone(slot) || users.has(slot.id)) continue;
          if (slot.usernameKey !== '' && base.usernameRow(slot.usernameKey) === row) usernames.push([slot.usernameKey, slot.id]);
          if (slot.emailKey !== '' && base.emailRows(slot.emailKey).includes(row)) {
            emails.set(slot.emailKey, [...(emails.get(slot.emailKey) ?? []), slot.id]);
          }
        }
        for (let row = 0; row < base.tokens; row++) {
          if (base.isDeadTokenAt(row)) continue;
          const slot = base.tokenAt(row);
          if (!isTombstone(slot) && !tokens.has(slot.userId) && base.tokenRowOfHash(slot.keyHash) === row)
            hashes.push([slot.keyHash, slot.userId]);
        }
      }
      return {
        byUsername: sorted(usernames),
        byEmail: sorted([...emails].map(([key, ids]) => [key, ids.sort()] as [string, string[]])),
        byHash: sorted(hashes),
      };
    },
  };
}
