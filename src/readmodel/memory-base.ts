// The snapshot a start loaded, read where it lies: the in-memory model (memory.ts) answers from it for every account
// it has not written since, so loading a snapshot is reading its file and hashing its keys, whatever its size.
// Immutable: a write of the model goes to its maps, which shadow this base from then on.
//
// Rows are numbered across chunks (row = chunk × CHUNK_ROWS + place in it). The indexes are open-addressing tables
// of row + 1 (0: empty), built at load from the rows themselves (an index is a function of the documents: the file
// holds none, so none can disagree with them). A lookup hashes the key, probes, and compares the bytes in place.
import {
  ACTIVE,
  CHUNK_ROWS,
  ColumnsDamaged,
  equalsAt,
  hashAt,
  hashString,
  HAS_LAST_LOGIN,
  isEmptyAt,
  KEY_TAIL,
  OWN_EMAIL_KEY,
  OWN_USERNAME_KEY,
  STAFF,
  stringAt,
  SUPERUSER,
  TOMBSTONE,
  U,
  type StringColumn,
  type TokenChunk,
  type UserChunk,
  WHOLE,
} from './snapshot-columns.js';
import type { StoredUser, TokenSlot, UserSlot } from './memory-slots.js';

const SHIFT = Math.log2(CHUNK_ROWS);
const PLACE = CHUNK_ROWS - 1;

// Shared by every document that has none: stored documents are never changed in place, and reads copy them.
const NO_PROFILE: Readonly<Record<string, string>> = Object.freeze({});
const NO_SESSIONS: readonly string[] = Object.freeze([]);

/** An open-addressing table of row + 1, at most half full. */
class RowTable {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(rows: number) {
    let capacity = 16;
    while (capacity < rows * 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
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
 * Adds every row whose key `column` gives (null: none) to `table`: the hashes of all first, then the inserts, whose
 * cache misses the processor can then overlap (hashing between them halved the speed).
 */
function indexRows<C extends { readonly rows: number }>(
  table: RowTable,
  chunks: readonly C[],
  total: number,
  window: number,
  column: (c: C, i: number) => StringColumn | null,
): void {
  const rows = new Int32Array(total);
  const hashes = new Uint32Array(total);
  let keyed = 0;
  chunks.forEach((c, ci) => {
    for (let i = 0; i < c.rows; i++) {
      const keys = column(c, i);
      if (keys === null || isEmptyAt(keys, i)) continue;
      rows[keyed] = (ci << SHIFT) | i;
      hashes[keyed++] = hashAt(keys, i, window);
    }
  });
  for (let k = 0; k < keyed; k++) table.add(hashes[k]!, rows[k]!);
}

const checkedChunks = <T extends { rows: number }>(chunks: readonly T[]): number => {
  chunks.forEach((c, i) => {
    if (i < chunks.length - 1 && c.rows !== CHUNK_ROWS) throw new ColumnsDamaged(`chunk ${i} holds ${c.rows} rows, not ${CHUNK_ROWS}`);
  });
  return chunks.reduce((n, c) => n + c.rows, 0);
};

export class MemoryBase {
  /** Rows, tombstones included. */
  readonly users: number;
  readonly tokens: number;
  /** Users that are not tombstones. */
  readonly liveUsers: number;
  private readonly byId: RowTable;
  private readonly byUsername: RowTable;
  private readonly byEmail: RowTable;
  private readonly tokenByUser: RowTable;
  private readonly byHash: RowTable;

  constructor(
    private readonly userChunks: readonly UserChunk[],
    private readonly tokenChunks: readonly TokenChunk[],
  ) {
    this.users = checkedChunks(userChunks);
    this.tokens = checkedChunks(tokenChunks);
    this.byId = new RowTable(this.users);
    this.byUsername = new RowTable(this.users);
    this.byEmail = new RowTable(this.users);
    this.tokenByUser = new RowTable(this.tokens);
    this.byHash = new RowTable(this.tokens);
    let live = 0;
    for (const c of userChunks) {
      for (let i = 0; i < c.rows; i++) {
        if (c.flags[i]! & TOMBSTONE) continue;
        live++;
        // Checked here, so that a read never meets a profile it cannot parse.
        if (!isEmptyAt(c.strings[U.extras]!, i)) parseExtras(stringAt(c.strings[U.extras]!, i));
      }
    }
    this.liveUsers = live;
    // One table at a time: its writes land anywhere in it, and one table is more likely to stay in the cache.
    // '' (the email user model has no username) is never a key anyone holds; tombstones hold none either.
    const liveAt = (c: { readonly flags: Uint8Array }, i: number) => (c.flags[i]! & TOMBSTONE) === 0;
    indexRows(this.byId, userChunks, this.users, KEY_TAIL, (c) => c.strings[U.id]!);
    indexRows(this.byUsername, userChunks, this.users, WHOLE, (c, i) => (liveAt(c, i) ? usernameKeyColumn(c, i) : null));
    indexRows(this.byEmail, userChunks, this.users, WHOLE, (c, i) => (liveAt(c, i) ? emailKeyColumn(c, i) : null));
    indexRows(this.tokenByUser, tokenChunks, this.tokens, KEY_TAIL, (c) => c.userId);
    indexRows(this.byHash, tokenChunks, this.tokens, KEY_TAIL, (c, i) => (liveAt(c, i) ? c.keyHash : null));
  }

  private userChunk(row: number): UserChunk {
    return this.userChunks[row >>> SHIFT]!;
  }
  private tokenChunk(row: number): TokenChunk {
    return this.tokenChunks[row >>> SHIFT]!;
  }

  /** The row of the user (or tombstone) with this id, or -1. */
  userRow(id: string): number {
    return this.byId.find(hashString(id, KEY_TAIL), (row) => equalsAt(this.userChunk(row).strings[U.id]!, row & PLACE, id));
  }
  /** The row of the live user holding this username key, or -1. */
  usernameRow(key: string): number {
    return this.byUsername.find(hashString(key, WHOLE), (row) =>
      equalsAt(usernameKeyColumn(this.userChunk(row), row & PLACE), row & PLACE, key),
    );
  }
  /** The rows of the live users with this email key. */
  emailRows(key: string): number[] {
    return this.byEmail.findAll(hashString(key, WHOLE), (row) =>
      equalsAt(emailKeyColumn(this.userChunk(row), row & PLACE), row & PLACE, key),
    );
  }
  /** The row of the user's token (or tombstone), or -1. */
  tokenRowOfUser(userId: string): number {
    return this.tokenByUser.find(hashString(userId, KEY_TAIL), (row) => equalsAt(this.tokenChunk(row).userId, row & PLACE, userId));
  }
  /** The row of the live token of this hash, or -1. */
  tokenRowOfHash(keyHash: string): number {
    return this.byHash.find(hashString(keyHash, KEY_TAIL), (row) => equalsAt(this.tokenChunk(row).keyHash, row & PLACE, keyHash));
  }

  userIdAt(row: number): string {
    return stringAt(this.userChunk(row).strings[U.id]!, row & PLACE);
  }
  isLiveUserAt(row: number): boolean {
    return (this.userChunk(row).flags[row & PLACE]! & TOMBSTONE) === 0;
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

const usernameKeyColumn = (c: UserChunk, i: number): StringColumn =>
  c.flags[i]! & OWN_USERNAME_KEY ? c.strings[U.usernameKey]! : c.strings[U.username]!;
const emailKeyColumn = (c: UserChunk, i: number): StringColumn =>
  c.flags[i]! & OWN_EMAIL_KEY ? c.strings[U.emailKey]! : c.strings[U.email]!;

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
