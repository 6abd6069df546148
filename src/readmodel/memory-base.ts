// The snapshot a start loaded, read where it lies: the in-memory model (memory.ts) answers from it for every account
// it has not written since, so loading a snapshot is reading its file (and its index tables, or hashing its keys).
// Immutable: a write of the model goes to its maps, which shadow this base from then on; when the maps fill up, the
// model folds them into a new base (extendedWith), which shares this one's chunks and leaves it as it was.
//
// Rows are numbered across chunks (row = chunk × CHUNK_ROWS + place in it). The indexes are open-addressing tables
// of row + 1 (0: empty), built from the rows themselves, or taken from a snapshot that saved them with the seed of
// their hash (checked at load against its rows: usableTables; else built again). A lookup hashes the key, probes,
// and compares the bytes in place, so a table can only fail to find a row, never answer a wrong one. A row a fold
// superseded is dead: in no answer, though the tables may still point at it.
import {
  ACTIVE,
  CHUNK_ROWS,
  ColumnsDamaged,
  equalsAt,
  flagsWithDead,
  hashAt,
  hashString,
  newHashSeed,
  HAS_LAST_LOGIN,
  isEmptyAt,
  KEY_TAIL,
  OWN_EMAIL_KEY,
  OWN_USERNAME_KEY,
  STAFF,
  stringAt,
  SUPERUSER,
  TOMBSTONE,
  DEAD,
  tokenChunkOf,
  U,
  userChunkOf,
  type StringColumn,
  type TokenChunk,
  type UserChunk,
  WHOLE,
} from './snapshot-columns.js';
import { isTombstone, type StoredUser, type TokenSlot, type UserSlot } from './memory-slots.js';

const SHIFT = Math.log2(CHUNK_ROWS);
const PLACE = CHUNK_ROWS - 1;

// Shared by every document that has none: stored documents are never changed in place, and reads copy them.
const NO_PROFILE: Readonly<Record<string, string>> = Object.freeze({});
const NO_SESSIONS: readonly string[] = Object.freeze([]);

/** An open-addressing table of row + 1, at most half full. */
class RowTable {
  private readonly mask: number;

  /** `slots`: a power of two of them. */
  private constructor(readonly slots: Int32Array) {
    this.mask = slots.length - 1;
  }
  /** An empty table for `rows` rows. */
  static sized(rows: number): RowTable {
    let capacity = 16;
    while (capacity < rows * 2) capacity *= 2;
    return new RowTable(new Int32Array(capacity));
  }
  /** A table as saved, or null when its size is not a power of two. */
  static ofSlots(slots: Int32Array): RowTable | null {
    return slots.length >= 16 && (slots.length & (slots.length - 1)) === 0 ? new RowTable(slots) : null;
  }
  /** Whether it can take `rows` rows in all and stay at most half full. */
  fits(rows: number): boolean {
    return rows * 2 <= this.slots.length;
  }
  copy(): RowTable {
    return new RowTable(this.slots.slice());
  }
  add(hash: number, row: number): void {
    let i = hash & this.mask;
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = row + 1;
  }
  /** The first row with this hash that `matches`, or -1. */
  find(hash: number, matches: (row: number) => boolean): number {
    for (let i = hash & this.mask, v = this.slots[i]!; v !== 0; i = (i + 1) & this.mask, v = this.slots[i]!) {
      if (matches(v - 1)) return v - 1;
    }
    return -1;
  }
  /** Every row with this hash that `matches`. */
  findAll(hash: number, matches: (row: number) => boolean): number[] {
    const found: number[] = [];
    for (let i = hash & this.mask, v = this.slots[i]!; v !== 0; i = (i + 1) & this.mask, v = this.slots[i]!) {
      if (matches(v - 1)) found.push(v - 1);
    }
    return found;
  }
}

/**
 * Adds the rows from `from` on whose key `column` gives (null: none) to `table`: the hashes of all first, then the
 * inserts, whose cache misses the processor can then overlap (hashing between them halved the speed).
 */
function indexRows<C extends { readonly rows: number }>(
  table: RowTable,
  chunks: readonly C[],
  from: number,
  total: number,
  window: number,
  seed: number,
  column: (c: C, i: number, row: number) => StringColumn | null,
): void {
  const rows = new Int32Array(total - from);
  const hashes = new Uint32Array(total - from);
  let keyed = 0;
  for (let ci = from >>> SHIFT; ci < chunks.length; ci++) {
    const c = chunks[ci]!;
    for (let i = ci === from >>> SHIFT ? from & PLACE : 0; i < c.rows; i++) {
      const row = (ci << SHIFT) | i;
      const keys = column(c, i, row);
      if (keys === null || isEmptyAt(keys, i)) continue;
      rows[keyed] = row;
      hashes[keyed++] = hashAt(keys, i, window, seed);
    }
  }
  for (let k = 0; k < keyed; k++) table.add(hashes[k]!, rows[k]!);
}

const checkedChunks = <T extends { rows: number }>(chunks: readonly T[]): number => {
  chunks.forEach((c, i) => {
    if (i < chunks.length - 1 && c.rows !== CHUNK_ROWS) throw new ColumnsDamaged(`chunk ${i} holds ${c.rows} rows, not ${CHUNK_ROWS}`);
  });
  return chunks.reduce((n, c) => n + c.rows, 0);
};

/** Slots as chunks of CHUNK_ROWS (the last one fewer), by column. */
function chunksOf<S, C>(slots: readonly S[], chunkOf: (batch: readonly S[]) => C): C[] {
  const chunks: C[] = [];
  for (let at = 0; at < slots.length; at += CHUNK_ROWS) chunks.push(chunkOf(slots.slice(at, at + CHUNK_ROWS)));
  return chunks;
}

interface Parts {
  readonly userChunks: readonly UserChunk[];
  readonly tokenChunks: readonly TokenChunk[];
  readonly users: number;
  readonly tokens: number;
  readonly deadUsers: Uint8Array | null;
  readonly deadTokens: Uint8Array | null;
  /** How many rows each marks. */
  readonly deadUserRows: number;
  readonly deadTokenRows: number;
  readonly liveUsers: number;
  /** Of the tables' hash (hashAt). */
  readonly seed: number;
  readonly tables: Tables;
  /** The tables came from a snapshot (SavedTables), not from hashing every row. */
  readonly tablesSaved?: boolean;
}

type Tables = readonly [RowTable, RowTable, RowTable, RowTable, RowTable];

/**
 * A base's five tables as a snapshot saves them (by id, username, email; token by user, by hash): their slots, the
 * seed of their hash, and how many user and token rows they cover (the rows after those are indexed at load).
 */
export interface SavedTables {
  readonly seed: number;
  readonly users: number;
  readonly tokens: number;
  readonly slots: readonly Int32Array[];
}

const liveAt = (c: { readonly flags: Uint8Array }, i: number) => (c.flags[i]! & TOMBSTONE) === 0;
/** Whether `marks` (a base's dead rows, null: none) marks `row`. */
const marked = (marks: Uint8Array | null, row: number) => marks !== null && marks[row] === 1;

/** The rows a snapshot marked DEAD (null when it marked none), and how many. */
function deadRowsOf(
  chunks: readonly { readonly rows: number; readonly flags: Uint8Array }[],
  total: number,
): { dead: Uint8Array | null; count: number } {
  let dead: Uint8Array | null = null;
  let count = 0;
  chunks.forEach((c, ci) => {
    for (let i = 0; i < c.rows; i++) {
      if (!(c.flags[i]! & DEAD)) continue;
      (dead ??= new Uint8Array(total))[(ci << SHIFT) | i] = 1;
      count++;
    }
  });
  return { dead, count };
}

/** The chunks with the rows `dead` marks flagged DEAD in them, as a snapshot's chunks carry them. */
function flaggedDead<C extends { readonly rows: number; readonly flags: Uint8Array }>(chunks: readonly C[], dead: Uint8Array | null): C[] {
  return dead ? chunks.map((c, ci) => ({ ...c, flags: flagsWithDead(c.flags, dead, ci << SHIFT) })) : [...chunks];
}

/** Stands for no row: fills a chunk up (dead, so in no table and no answer). */
const USER_FILLER: UserSlot = { id: '', revision: 0, deleted: true };
const TOKEN_FILLER: TokenSlot = { userId: '', revision: 0, deleted: true };

/** `chunks` with the last one, when short of CHUNK_ROWS, written again with dead fillers after its `count` rows. */
function padded<S, C extends { readonly flags: Uint8Array }>(
  chunks: readonly C[],
  count: number,
  dead: Uint8Array | null,
  at: (row: number) => S,
  filler: S,
  chunkOf: (slots: readonly S[]) => C,
): C[] {
  const short = count & PLACE;
  if (short === 0) return [...chunks];
  const first = count - short;
  const chunk = chunkOf(Array.from({ length: CHUNK_ROWS }, (_, k) => (k < short ? at(first + k) : filler)));
  for (let k = 0; k < CHUNK_ROWS; k++) if (k >= short || marked(dead, first + k)) chunk.flags[k]! |= DEAD;
  return [...chunks.slice(0, -1), chunk];
}

/** The slots of the rows [0, count) that `dead` does not mark. */
function keptRows<S>(count: number, dead: Uint8Array, at: (row: number) => S): S[] {
  const out: S[] = [];
  for (let row = 0; row < count; row++) if (dead[row] !== 1) out.push(at(row));
  return out;
}

/** Rows as chunks, dead ones flagged DEAD in them. */
export interface Chunks {
  readonly users: readonly UserChunk[];
  readonly tokens: readonly TokenChunk[];
}

/** A layout's chunks with its dead rows flagged DEAD in them (what fromChunks reads them from). */
export const flaggedChunksOf = (layout: Layout): Chunks => ({
  users: flaggedDead(layout.userChunks, layout.deadUsers),
  tokens: flaggedDead(layout.tokenChunks, layout.deadTokens),
});

/** A base's rows and what is dead in them, before its tables are built; `compacted`: written again without the dead. */
export type Layout = Omit<Parts, 'tables' | 'seed'> & { readonly compacted: boolean };

/** What a snapshot of a model holds: its base's rows with the maps' slots after them (superseded rows dead). */
export function layoutOf(base: MemoryBase | null, users: readonly UserSlot[], tokens: readonly TokenSlot[]): Layout {
  return (base ?? EMPTY).layoutWith(users, tokens);
}

export class MemoryBase {
  /** Rows, tombstones and dead rows included: rows are numbered 0 to this. */
  readonly users: number;
  readonly tokens: number;
  /** Users that are not tombstones (nor dead). */
  readonly liveUsers: number;
  private readonly userChunks: readonly UserChunk[];
  private readonly tokenChunks: readonly TokenChunk[];
  /**
   * Rows a later fold superseded (1): the account was written again, and its newer row is further on. A dead row is
   * in no answer, though the tables still point at it (a lookup passes it by).
   */
  private readonly deadUsers: Uint8Array | null;
  private readonly deadTokens: Uint8Array | null;
  private readonly deadUserRows: number;
  private readonly deadTokenRows: number;
  private readonly byId: RowTable;
  private readonly byUsername: RowTable;
  private readonly byEmail: RowTable;
  private readonly tokenByUser: RowTable;
  private readonly byHash: RowTable;
  private readonly seed: number;
  /** Loaded with the tables a snapshot saved (they agreed with its rows; those too small for its rows built anew). */
  readonly tablesSaved: boolean;

  private constructor(parts: Parts) {
    ({
      userChunks: this.userChunks,
      tokenChunks: this.tokenChunks,
      users: this.users,
      tokens: this.tokens,
      deadUsers: this.deadUsers,
      deadTokens: this.deadTokens,
      deadUserRows: this.deadUserRows,
      deadTokenRows: this.deadTokenRows,
      liveUsers: this.liveUsers,
      seed: this.seed,
    } = parts);
    this.tablesSaved = parts.tablesSaved === true;
    [this.byId, this.byUsername, this.byEmail, this.tokenByUser, this.byHash] = parts.tables;
  }

  /**
   * The base of a snapshot's chunks, as read from its file: every row checked, every index built (or the tables it
   * saved taken, when usableTables() finds them to agree with the rows).
   */
  static fromChunks(userChunks: readonly UserChunk[], tokenChunks: readonly TokenChunk[], saved?: SavedTables | null): MemoryBase {
    const users = checkedChunks(userChunks);
    const tokens = checkedChunks(tokenChunks);
    const userMarks = deadRowsOf(userChunks, users);
    const tokenMarks = deadRowsOf(tokenChunks, tokens);
    let live = 0;
    for (const c of userChunks) {
      for (let i = 0; i < c.rows; i++) {
        if (c.flags[i]! & (TOMBSTONE | DEAD)) continue;
        live++;
        // Checked here, so that a read never meets a profile it cannot parse.
        if (!isEmptyAt(c.strings[U.extras]!, i)) parseExtras(stringAt(c.strings[U.extras]!, i));
      }
    }
    const parts = {
      userChunks,
      tokenChunks,
      users,
      tokens,
      deadUsers: userMarks.dead,
      deadTokens: tokenMarks.dead,
      deadUserRows: userMarks.count,
      deadTokenRows: tokenMarks.count,
      liveUsers: live,
    };
    const tables = saved ? usableTables(saved, parts) : null;
    const withSeed = { ...parts, seed: tables ? saved!.seed : newHashSeed() };
    const built = MemoryBase.buildTables(withSeed, saved?.users ?? 0, saved?.tokens ?? 0, tables, false);
    return new MemoryBase({ ...withSeed, tables: built, tablesSaved: tables !== null });
  }

  /** The tables as a snapshot of this base saves them (they cover its rows). */
  savedTables(): SavedTables {
    return { seed: this.seed, users: this.users, tokens: this.tokens, slots: this.tables().map((t) => t.slots) };
  }

  private tables(): Tables {
    return [this.byId, this.byUsername, this.byEmail, this.tokenByUser, this.byHash];
  }

  /** A base of these slots alone (the maps of a model that had none, folded). */
  static of(users: readonly UserSlot[], tokens: readonly TokenSlot[]): MemoryBase {
    return MemoryBase.fromChunks(chunksOf(users, userChunkOf), chunksOf(tokens, tokenChunkOf));
  }

  /**
   * This base and `users` and `tokens` after it (a model's maps, folded into it): their rows are added, and rows of
   * this base with the same ids become dead. The chunks and tables are shared or copied, not rebuilt, so this costs
   * about what the new slots do — except when the tables must grow, or dead rows would be half the base (then the
   * live rows are written out again, once).
   */
  extendedWith(users: readonly UserSlot[], tokens: readonly TokenSlot[]): MemoryBase {
    const layout = this.layoutWith(users, tokens);
    if (layout.compacted) return MemoryBase.fromChunks(layout.userChunks, layout.tokenChunks);
    const parts = { ...layout, seed: this.seed };
    return new MemoryBase({ ...parts, tables: MemoryBase.buildTables(parts, this.users, this.tokens, this.tables(), true) });
  }

  /**
   * This base's rows as chunks that others can follow: every chunk whole (the last filled up with dead rows), the
   * rows it superseded flagged DEAD in them, as a snapshot's chunks carry them (a replay's worker sends these).
   */
  wholeChunks(): Chunks {
    const users = flaggedDead(this.userChunks, this.deadUsers);
    const tokens = flaggedDead(this.tokenChunks, this.deadTokens);
    return {
      users: padded(users, this.users, this.deadUsers, (r) => this.userAt(r), USER_FILLER, userChunkOf),
      tokens: padded(tokens, this.tokens, this.deadTokens, (r) => this.tokenAt(r), TOKEN_FILLER, tokenChunkOf),
    };
  }

  /**
   * `first` (whole chunks) and then `next` as one base, no row of either made an object and no table built but the
   * joined base's (a replay's two shares, at a million accounts each). For rows of no account in common; a username
   * or token hash held on both sides comes back as a clash instead.
   */
  static joined(first: Chunks, next: Chunks): MemoryBase | { readonly clash: string } {
    const joined = MemoryBase.fromChunks([...first.users, ...next.users], [...first.tokens, ...next.tokens]);
    const clash = joined.heldBefore(first.users.length * CHUNK_ROWS, first.tokens.length * CHUNK_ROWS);
    return clash === null ? joined : { clash };
  }

  /**
   * Why a live row from `userFrom` (`tokenFrom`) on shares its username (token hash) with an earlier row, or null.
   * The tables take rows in order, so a lookup of a key held twice finds the earlier row first.
   */
  private heldBefore(userFrom: number, tokenFrom: number): string | null {
    for (let row = userFrom; row < this.users; row++) {
      const c = this.userChunk(row);
      const i = row & PLACE;
      if (this.isDeadUserAt(row) || !liveAt(c, i)) continue;
      const keys = usernameKeyColumn(c, i);
      if (!isEmptyAt(keys, i) && this.usernameRow(stringAt(keys, i)) !== row) {
        return `the username key of user ${this.userIdAt(row)} is held by another account too`;
      }
    }
    for (let row = tokenFrom; row < this.tokens; row++) {
      const c = this.tokenChunk(row);
      const i = row & PLACE;
      if (this.isDeadTokenAt(row) || !liveAt(c, i)) continue;
      if (this.tokenRowOfHash(stringAt(c.keyHash, i)) !== row) {
        return `the token hash of user ${this.tokenUserIdAt(row)} is held by another account too`;
      }
    }
    return null;
  }

  /** The rows of this base with `users` and `tokens` after them, as extendedWith() makes them (without the tables). */
  layoutWith(users: readonly UserSlot[], tokens: readonly TokenSlot[]): Layout {
    const userCount = this.users + users.length;
    const tokenCount = this.tokens + tokens.length;
    const deadUsers = new Uint8Array(userCount);
    const deadTokens = new Uint8Array(tokenCount);
    if (this.deadUsers) deadUsers.set(this.deadUsers);
    if (this.deadTokens) deadTokens.set(this.deadTokens);
    let deadUserRows = this.deadUserRows;
    let deadTokenRows = this.deadTokenRows;
    let liveUsers = this.liveUsers;
    for (const slot of users) {
      const row = this.userRow(slot.id);
      if (row >= 0) {
        if (this.isLiveUserAt(row)) liveUsers--;
        deadUsers[row] = 1;
        deadUserRows++;
      }
      if (!isTombstone(slot)) liveUsers++;
    }
    for (const slot of tokens) {
      const row = this.tokenRowOfUser(slot.userId);
      if (row >= 0) {
        deadTokens[row] = 1;
        deadTokenRows++;
      }
    }
    if ((deadUserRows + deadTokenRows) * 2 > userCount + tokenCount) {
      return {
        compacted: true,
        userChunks: chunksOf([...keptRows(this.users, deadUsers, (r) => this.userAt(r)), ...users], userChunkOf),
        tokenChunks: chunksOf([...keptRows(this.tokens, deadTokens, (r) => this.tokenAt(r)), ...tokens], tokenChunkOf),
        users: userCount - deadUserRows,
        tokens: tokenCount - deadTokenRows,
        deadUsers: null,
        deadTokens: null,
        deadUserRows: 0,
        deadTokenRows: 0,
        liveUsers,
      };
    }
    // The last chunk of each kind is written again with the new rows after its own, so that every chunk but the last
    // stays full and a row's number stays chunk × CHUNK_ROWS + place (the rows carried keep their numbers).
    const carried = <S>(count: number, at: (row: number) => S): S[] =>
      Array.from({ length: count % CHUNK_ROWS }, (_, k) => at(count - (count % CHUNK_ROWS) + k));
    const userChunks = [
      ...this.userChunks.slice(0, this.users >>> SHIFT),
      ...chunksOf([...carried(this.users, (r) => this.userAt(r)), ...users], userChunkOf),
    ];
    const tokenChunks = [
      ...this.tokenChunks.slice(0, this.tokens >>> SHIFT),
      ...chunksOf([...carried(this.tokens, (r) => this.tokenAt(r)), ...tokens], tokenChunkOf),
    ];
    const counts = { users: userCount, tokens: tokenCount, deadUserRows, deadTokenRows, liveUsers };
    return { compacted: false, userChunks, tokenChunks, deadUsers, deadTokens, ...counts };
  }

  /**
   * The five tables of `parts`: `previous` (copied when `copy`: another base holds them) with the rows from
   * `fromUser` / `fromToken` on added, or, where that would be more than half full (or there are none), built from
   * every row that is not dead. Previous tables must be of `parts.seed`.
   */
  private static buildTables(
    parts: Omit<Parts, 'tables'>,
    fromUser: number,
    fromToken: number,
    previous: Tables | null,
    copy: boolean,
  ): Tables {
    const { userChunks, tokenChunks, users, tokens, deadUsers, deadTokens, seed } = parts;
    const keepUsers = previous !== null && previous[0].fits(users);
    const keepTokens = previous !== null && previous[USER_KEYS.length]!.fits(tokens);
    const table = (k: number, rows: number, keep: boolean) => (!keep ? RowTable.sized(rows) : copy ? previous![k]!.copy() : previous![k]!);
    const userTables = USER_KEYS.map((_, k) => table(k, users, keepUsers));
    const tokenTables = TOKEN_KEYS.map((_, k) => table(USER_KEYS.length + k, tokens, keepTokens));
    const u = keepUsers ? fromUser : 0;
    const t = keepTokens ? fromToken : 0;
    // One table at a time: its writes land anywhere in it, and one table is more likely to stay in the cache.
    USER_KEYS.forEach(([window, keyOf], k) =>
      indexRows(userTables[k]!, userChunks, u, users, window, seed, (c, i, row) => (marked(deadUsers, row) ? null : keyOf(c, i))),
    );
    TOKEN_KEYS.forEach(([window, keyOf], k) =>
      indexRows(tokenTables[k]!, tokenChunks, t, tokens, window, seed, (c, i, row) => (marked(deadTokens, row) ? null : keyOf(c, i))),
    );
    return [...userTables, ...tokenTables] as unknown as Tables;
  }

  private userChunk(row: number): UserChunk {
    return this.userChunks[row >>> SHIFT]!;
  }
  private tokenChunk(row: number): TokenChunk {
    return this.tokenChunks[row >>> SHIFT]!;
  }

  /** Whether a row was superseded by a later one (see deadUsers): it is then no slot of the base. */
  isDeadUserAt(row: number): boolean {
    return marked(this.deadUsers, row);
  }
  isDeadTokenAt(row: number): boolean {
    return marked(this.deadTokens, row);
  }
  /** Rows that are slots (not dead). */
  get userSlots(): number {
    return this.users - this.deadUserRows;
  }
  get tokenSlots(): number {
    return this.tokens - this.deadTokenRows;
  }

  /** The row of the user (or tombstone) with this id, or -1. */
  userRow(id: string): number {
    return this.byId.find(
      hashString(id, KEY_TAIL, this.seed),
      (row) => !this.isDeadUserAt(row) && equalsAt(this.userChunk(row).strings[U.id]!, row & PLACE, id),
    );
  }
  /** The row of the live user holding this username key, or -1. */
  usernameRow(key: string): number {
    return this.byUsername.find(
      hashString(key, WHOLE, this.seed),
      (row) => !this.isDeadUserAt(row) && equalsAt(usernameKeyColumn(this.userChunk(row), row & PLACE), row & PLACE, key),
    );
  }
  /** The rows of the live users with this email key. */
  emailRows(key: string): number[] {
    return this.byEmail.findAll(
      hashString(key, WHOLE, this.seed),
      (row) => !this.isDeadUserAt(row) && equalsAt(emailKeyColumn(this.userChunk(row), row & PLACE), row & PLACE, key),
    );
  }
  /** The row of the user's token (or tombstone), or -1. */
  tokenRowOfUser(userId: string): number {
    return this.tokenByUser.find(
      hashString(userId, KEY_TAIL, this.seed),
      (row) => !this.isDeadTokenAt(row) && equalsAt(this.tokenChunk(row).userId, row & PLACE, userId),
    );
  }
  /** The row of the live token of this hash, or -1. */
  tokenRowOfHash(keyHash: string): number {
    return this.byHash.find(
      hashString(keyHash, KEY_TAIL, this.seed),
      (row) => !this.isDeadTokenAt(row) && equalsAt(this.tokenChunk(row).keyHash, row & PLACE, keyHash),
    );
  }

  userIdAt(row: number): string {
    return stringAt(this.userChunk(row).strings[U.id]!, row & PLACE);
  }
  isLiveUserAt(row: number): boolean {
    return !this.isDeadUserAt(row) && (this.userChunk(row).flags[row & PLACE]! & TOMBSTONE) === 0;
  }
  tokenUserIdAt(row: number): string {
    return stringAt(this.tokenChunk(row).userId, row & PLACE);
  }

  /** The user (or tombstone) in a row, as a slot of its own. */
  userAt(row: number): UserSlot {
    const c = this.userChunk(row);
    const i = row & PLACE;
    const f = c.flags[i]!;
    const id = stringAt(c.strings[U.id]!, i);
    const revision = c.revision[i]!;
    if (f & TOMBSTONE) return { id, revision, deleted: true };
    const username = stringAt(c.strings[U.username]!, i);
    const email = stringAt(c.strings[U.email]!, i);
    const extras = isEmptyAt(c.strings[U.extras]!, i) ? undefined : parseExtras(stringAt(c.strings[U.extras]!, i));
    const user: StoredUser = {
      id,
      username,
      usernameKey: f & OWN_USERNAME_KEY ? stringAt(c.strings[U.usernameKey]!, i) : username,
      email,
      emailKey: f & OWN_EMAIL_KEY ? stringAt(c.strings[U.emailKey]!, i) : email,
      firstName: stringAt(c.strings[U.firstName]!, i),
      lastName: stringAt(c.strings[U.lastName]!, i),
      profile: extras?.[0] ?? NO_PROFILE,
      isActive: (f & ACTIVE) !== 0,
      isStaff: (f & STAFF) !== 0,
      isSuperuser: (f & SUPERUSER) !== 0,
      sessionEpoch: c.sessionEpoch[i]!,
      revokedSessions: extras?.[1] ?? NO_SESSIONS,
      dateJoined: c.dateJoined[i]!,
      lastLogin: f & HAS_LAST_LOGIN ? c.lastLogin[i]! : null,
      revision,
    };
    return user;
  }

  tokenAt(row: number): TokenSlot {
    const c = this.tokenChunk(row);
    const i = row & PLACE;
    const userId = stringAt(c.userId, i);
    if (c.flags[i]! & TOMBSTONE) return { userId, revision: c.revision[i]!, deleted: true };
    return { userId, keyHash: stringAt(c.keyHash, i), created: c.created[i]!, revision: c.revision[i]! };
  }
}

/**
 * The tables a snapshot saved, when they agree with its rows: the sizes and values a table can have, and a sample of
 * the rows they cover (every row, at most 256 a table, that was live when they were saved) found where they hash to.
 * A seed or hash that is not the one they were built with finds none of those. Null: build them again.
 */
function usableTables(saved: SavedTables, parts: Omit<Parts, 'tables' | 'seed'>): Tables | null {
  if (saved.slots.length !== TABLE_COUNT || saved.users > parts.users || saved.tokens > parts.tokens) return null;
  const tables = saved.slots.map((slots) => RowTable.ofSlots(slots));
  if (tables.some((t) => t === null)) return null;
  const kept = tables as RowTable[];
  const agree = <C extends { readonly rows: number }>(
    table: RowTable,
    chunks: readonly C[],
    covered: number,
    dead: Uint8Array | null,
    [window, keyOf]: readonly [number, (c: C, i: number) => StringColumn | null],
  ): boolean => {
    for (const v of table.slots) if (v < 0 || v > covered) return false;
    const step = Math.max(1, Math.floor(covered / 256));
    for (let row = 0; row < covered; row += step) {
      if (marked(dead, row)) continue; // written again since: it need not be there
      const c = chunks[row >>> SHIFT]!;
      const keys = keyOf(c, row & PLACE);
      if (keys === null || isEmptyAt(keys, row & PLACE)) continue;
      if (table.find(hashAt(keys, row & PLACE, window, saved.seed), (r) => r === row) !== row) return false;
    }
    return true;
  };
  const usersAgree = USER_KEYS.every((spec, k) => agree(kept[k]!, parts.userChunks, saved.users, parts.deadUsers, spec));
  const tokensAgree = TOKEN_KEYS.every((spec, k) =>
    agree(kept[USER_KEYS.length + k]!, parts.tokenChunks, saved.tokens, parts.deadTokens, spec),
  );
  return usersAgree && tokensAgree ? (kept as unknown as Tables) : null;
}

const usernameKeyColumn = (c: UserChunk, i: number): StringColumn =>
  c.flags[i]! & OWN_USERNAME_KEY ? c.strings[U.usernameKey]! : c.strings[U.username]!;
const emailKeyColumn = (c: UserChunk, i: number): StringColumn =>
  c.flags[i]! & OWN_EMAIL_KEY ? c.strings[U.emailKey]! : c.strings[U.email]!;

// What each table indexes, in the order of Tables: the hash's window and a row's key (null: none). '' (the email
// user model has no username) is never a key anyone holds; tombstones hold none but their id.
const USER_KEYS: readonly (readonly [number, (c: UserChunk, i: number) => StringColumn | null])[] = [
  [KEY_TAIL, (c) => c.strings[U.id]!],
  [WHOLE, (c, i) => (liveAt(c, i) ? usernameKeyColumn(c, i) : null)],
  [WHOLE, (c, i) => (liveAt(c, i) ? emailKeyColumn(c, i) : null)],
];
const TOKEN_KEYS: readonly (readonly [number, (c: TokenChunk, i: number) => StringColumn | null])[] = [
  [KEY_TAIL, (c) => c.userId],
  [KEY_TAIL, (c, i) => (liveAt(c, i) ? c.keyHash : null)],
];
/** How many tables a base has (and a snapshot saves). */
export const TABLE_COUNT = USER_KEYS.length + TOKEN_KEYS.length;

function parseExtras(json: string): [Record<string, string>, string[]] {
  let extras: unknown;
  try {
    extras = JSON.parse(json);
  } catch {
    throw new ColumnsDamaged('a user whose profile does not parse');
  }
  const [profile, sessions] = Array.isArray(extras) ? extras : [];
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile) || !Array.isArray(sessions)) {
    throw new ColumnsDamaged('a user whose profile is damaged');
  }
  return [profile as Record<string, string>, sessions as string[]];
}

const EMPTY = MemoryBase.fromChunks([], []);
