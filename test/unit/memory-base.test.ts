// The in-memory read model over a loaded snapshot (its base) answers exactly as the same model that never left its
// maps: the same random workload — registrations, renames, email changes (shared emails included), logins, token
// changes, deletions, conflicts — is applied to both, the second one reloaded from its own snapshot every few
// dozen steps, so accounts move from its base into its maps and back into a new base; a third folds its maps into
// its base every few writes (rows added, superseded rows marked dead). After every phase each lookup, the list, the
// count and the whole contents agree.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryReadModel, type MemoryReadModel } from '../../src/readmodel/memory.js';
import type { UserDoc } from '../../src/readmodel/port.js';
import {
  encodeTokenChunk,
  hashAt,
  hashString,
  KEY_TAIL,
  readTokenChunk,
  tokenChunkOf,
  WHOLE,
} from '../../src/readmodel/snapshot-columns.js';
import { memoryContents, reloaded, resealed, withMeta } from '../support/memory-contents.js';
import { newUser } from '../contract/read-model.contract.js';
import { readReadModelSnapshot, writeReadModelSnapshot, type LoadedSnapshot } from '../../src/readmodel/snapshot.js';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A small seeded generator (mulberry32): a failure names its seed and replays exactly. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Names beyond Latin-1 (stored as UTF-16 in the snapshot) and a lone surrogate, which UTF-8 could not carry.
const NAMES = ['ada', 'Zoë', 'bob', 'Ünal', '李雷', 'grace', 'émile', 'x\ud800y', 'Ōkubo', 'linus'];

interface Account {
  id: string;
  revision: number;
  username: string;
  email: string;
}

async function outcome<T>(f: () => Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await f() };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

/** Dates as their time (an invalid Date never equals another, NaN does): documents compare by what they hold. */
const timed = (value: unknown): unknown =>
  value instanceof Date
    ? { time: value.getTime() }
    : Array.isArray(value)
      ? value.map(timed)
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, timed(v)]))
        : value;

async function answers(
  model: MemoryReadModel,
  ids: readonly string[],
  usernames: readonly string[],
  emails: readonly string[],
  hashes: readonly string[],
) {
  return timed({
    byId: await Promise.all(ids.map((id) => model.findUserById(id))),
    byUsername: await Promise.all(usernames.map((u) => model.findUserByUsername(u))),
    byEmail: await Promise.all(emails.map((e) => model.findUsersByEmail(e))),
    byHash: await Promise.all(hashes.map((h) => model.findToken(h))),
    list: await model.listUsers({ offset: 0, limit: 10_000 }),
    page: await model.listUsers({ offset: 3, limit: 5 }),
    count: await model.countUsers(),
    maxId: await model.maxIntegerId(),
    contents: memoryContents(model),
  });
}

describe('the memory read model over a loaded snapshot', () => {
  it('hashes a key in a column (Latin-1 or UTF-16, odd or even, over a window or whole) as it hashes the string', () => {
    const values = ['', 'a', 'ab', 'abc', 'x'.repeat(17), '1000001', 'f'.repeat(64), 'Zoë', '李雷', 'x\ud800y', `${'李'.repeat(20)}z`];
    for (const wide of [false, true]) {
      // A column is UTF-16 when any of its values needs it: the same values, with one that does or without.
      const keys = wide ? values : values.filter((v) => ![...v].some((c) => c.charCodeAt(0) > 0xff));
      const body = encodeTokenChunk(tokenChunkOf(keys.map((k, i) => ({ userId: k, revision: i, deleted: true as const }))));
      const chunk = readTokenChunk(body, 0, body.length);
      assert.equal(chunk.userId.wide, wide);
      keys.forEach((key, i) => {
        for (const window of [1, 3, KEY_TAIL, WHOLE]) {
          for (const seed of [0x811c9dc5, 7]) {
            assert.equal(hashAt(chunk.userId, i, window, seed), hashString(key, window, seed), `${JSON.stringify(key)} over ${window}`);
          }
        }
      });
    }
  });

  for (const seed of [1, 2, 3]) {
    it(`answers as the model that never left its maps (seed ${seed})`, async () => {
      const next = random(seed);
      const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
      const plain = createMemoryReadModel();
      let based = createMemoryReadModel();
      // The third folds its maps into a new base of its own every few writes (never reloaded).
      const folding = createMemoryReadModel({ foldSlots: 5 + seed * 4 });
      const accounts: Account[] = [];
      const ids: string[] = [];
      const usernames = new Set<string>();
      const emails = new Set<string>();
      const hashes: string[] = [];
      let n = 0;

      const user = (a: Account): UserDoc => ({
        id: a.id,
        username: a.username,
        usernameKey: a.username.toLowerCase(),
        email: a.email,
        emailKey: a.email.toLowerCase(),
        firstName: pick(NAMES),
        lastName: '',
        profile: next() < 0.3 ? { nickname: pick(NAMES) } : {},
        isActive: next() < 0.7,
        isStaff: next() < 0.1,
        isSuperuser: false,
        sessionEpoch: 0,
        revokedSessions: [],
        dateJoined: next() < 0.05 ? new Date(NaN) : new Date(Date.UTC(2024, 0, 1) + n * 1000),
        lastLogin: null,
        revision: a.revision,
      });
      // Each step's arguments are drawn once, outside `op`: both models get the same ones.
      const both = async <T>(op: (model: MemoryReadModel) => Promise<T>) => {
        const [a, b, c] = [await outcome(() => op(plain)), await outcome(() => op(based)), await outcome(() => op(folding))];
        assert.deepEqual(b, a, `seed ${seed}, step ${n}`);
        assert.deepEqual(c, a, `seed ${seed}, step ${n} (folding)`);
      };

      for (let phase = 0; phase < 6; phase++) {
        for (let step = 0; step < 60; step++, n++) {
          const roll = next();
          const a = accounts.length ? pick(accounts) : undefined;
          if (!a || roll < 0.25) {
            // Integer ids (Django's) and UUIDs; now and then a username or email already taken.
            const id = next() < 0.5 ? String(1000 + n) : `u-${seed}-${n}`;
            const username = next() < 0.1 && a ? a.username : `${pick(NAMES)}${n}`;
            const email = next() < 0.2 && a ? a.email : `${pick(NAMES)}${n}@Example.com`;
            const account = { id, revision: 0, username, email };
            accounts.push(account);
            ids.push(id);
            usernames.add(username.toLowerCase());
            emails.add(email.toLowerCase());
            const doc = user(account);
            await both((m) => m.insertUser(doc));
          } else if (roll < 0.45) {
            a.revision++;
            const patch =
              next() < 0.5
                ? { username: `${pick(NAMES)}-${n}`, usernameKey: `${pick(NAMES)}-${n}`.toLowerCase() }
                : { email: `${pick(NAMES)}${n}@x.org`, emailKey: `${pick(NAMES)}${n}@x.org`.toLowerCase() };
            if (patch.usernameKey) usernames.add(patch.usernameKey);
            if (patch.emailKey) emails.add(patch.emailKey);
            await both((m) => m.updateUser(a.id, a.revision, patch));
          } else if (roll < 0.6) {
            a.revision++;
            const patch = {
              lastLogin: new Date(Date.UTC(2025, 0, 1) + n),
              revokedSessions: next() < 0.3 ? [`s${n}`] : [],
              profile: { seen: String(n) },
            };
            await both((m) => m.updateUser(a.id, a.revision, patch));
          } else if (roll < 0.8) {
            a.revision++;
            const reuse = next() < 0.1 && hashes.length > 0;
            const keyHash = reuse ? pick(hashes) : `${seed}-${n}`.padEnd(64, 'f');
            if (!reuse) hashes.push(keyHash);
            const token = next() < 0.2 ? null : { keyHash, created: new Date(Date.UTC(2025, 1, 1) + n) };
            await both((m) => m.setToken(a.id, a.revision, token));
          } else if (roll < 0.9) {
            a.revision++;
            await both((m) => m.deleteUser(a.id, a.revision));
          } else {
            // A stale write: a revision the model already has.
            await both((m) => m.updateUser(a.id, Math.max(0, a.revision - 1), { firstName: 'stale' }));
          }
        }
        based = await reloaded(based);
        const args = [ids, [...usernames], [...emails], hashes] as const;
        const expected = await answers(plain, ...args);
        assert.deepEqual(await answers(based, ...args), expected, `seed ${seed}, after phase ${phase}`);
        assert.deepEqual(await answers(folding, ...args), expected, `seed ${seed}, after phase ${phase} (folding)`);
      }
      // The base and the maps at once: half the accounts written since the last load.
      for (const a of accounts.slice(0, accounts.length / 2)) {
        a.revision++;
        await both((m) => m.updateUser(a.id, a.revision, { firstName: 'late' }));
      }
      const args = [ids, [...usernames], [...emails], hashes] as const;
      assert.deepEqual(await answers(based, ...args), await answers(plain, ...args));
      assert.deepEqual(await answers(folding, ...args), await answers(plain, ...args));
      assert.ok(folding.capture().users.length < 5 + seed * 4, 'the folding model keeps few slots in its maps');
      assert.deepEqual(memoryContents(await reloaded(folding)), memoryContents(plain), 'a snapshot of a folded model');
      assert.deepEqual(memoryContents(await reloaded(based)), memoryContents(plain), 'a snapshot of base and maps together');
    });
  }

  it('takes the index tables a snapshot saved when they agree with its rows, and builds them again when not', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'authstream-tables-'));
    const file = path.join(dir, 'model.snapshot');
    const about = { fingerprint: 'test', logId: null, eventId: 'test', source: 'service' as const, position: { commit: 1n, prepare: 1n } };
    const load = async (bytes?: Buffer): Promise<LoadedSnapshot> => {
      if (bytes) await writeFile(file, bytes);
      const loaded = await readReadModelSnapshot(file);
      assert.ok(loaded && 'state' in loaded, JSON.stringify(loaded));
      return loaded;
    };
    const modelOf = (loaded: LoadedSnapshot) => {
      const model = createMemoryReadModel();
      model.restore(loaded.state);
      return model;
    };
    try {
      // Folding every few writes: a base with rows written again (dead), tombstones, and slots in the maps after it.
      const source = createMemoryReadModel({ foldSlots: 7 });
      const ids: string[] = [];
      const hashes: string[] = [];
      for (let n = 0; n < 60; n++) {
        const id = n % 2 ? String(5000 + n) : `user-${n}`;
        ids.push(id);
        const username = `${NAMES[n % NAMES.length]}${n}`;
        const email = `${n % 3}@example.com`;
        await source.insertUser(newUser({ id, username, usernameKey: username.toLowerCase(), email, emailKey: email }));
        hashes.push(`${n}`.padEnd(64, 'a'));
        await source.setToken(id, 1, { keyHash: hashes[n]!, created: new Date(Date.UTC(2024, 0, 2)) });
        if (n % 5 === 0) await source.updateUser(ids[n >> 1]!, 2, { username: `renamed${n}`, usernameKey: `renamed${n}` });
        if (n % 7 === 0) await source.deleteUser(ids[n >> 2]!, 3);
      }
      assert.ok(source.capture().base && source.capture().users.length > 0, 'a base and maps after it');
      const usernames = [...NAMES.map((name, k) => `${name}${k}`.toLowerCase()), 'renamed10', 'renamed55'];
      const emails = ['0@example.com', '1@example.com', '2@example.com'];
      const args = [ids, usernames, emails, hashes] as const;
      const expected = await answers(source, ...args);

      await writeReadModelSnapshot(file, source.capture(), about);
      const good = await readFile(file);
      const loaded = await load();
      assert.equal(loaded.state.base?.tablesSaved, true, 'the saved tables are taken');
      assert.deepEqual(await answers(modelOf(loaded), ...args), expected);
      // Saved again from a loaded base (its tables in the file it came from) and loaded once more.
      const again = modelOf(loaded);
      await again.updateUser(ids[1]!, 9, { username: 'late', usernameKey: 'late' });
      await source.updateUser(ids[1]!, 9, { username: 'late', usernameKey: 'late' });
      await writeReadModelSnapshot(file, again.capture(), about);
      const reloadedAgain = await load();
      assert.equal(reloadedAgain.state.base?.tablesSaved, true);
      const withLate = [ids, [...usernames, 'late'], emails, hashes] as const;
      assert.deepEqual(await answers(modelOf(reloadedAgain), ...withLate), await answers(source, ...withLate));

      // Another seed in the header (a file written with another hash) or table slots pointing past the rows: the
      // checksum holds (written so), the tables do not agree with the rows, and they are built from them.
      const reseeded = withMeta(good, (meta) => {
        const tables = meta.tables as { seed: number };
        tables.seed = (tables.seed + 1) >>> 0;
      });
      const metaLength = good.readUInt32BE(8);
      const slotsPast = Buffer.from(good);
      const tables: { start: number; end: number }[] = [];
      for (let at = 12 + metaLength; at < good.length - 4; at += 5 + good.readUInt32BE(at + 1)) {
        if (good[at] === 3) tables.push({ start: at + 7 + good[at + 6]!, end: at + 5 + good.readUInt32BE(at + 1) });
      }
      assert.equal(tables.length, 5, 'five tables saved');
      for (let at = tables[4]!.start; at < tables[4]!.end; at += 4)
        if (slotsPast.readInt32LE(at) !== 0) slotsPast.writeInt32LE(100_000, at);
      for (const [what, bytes] of [
        ['another seed', reseeded],
        ['slots past the rows', resealed(slotsPast)],
      ] as const) {
        const rebuilt = await load(bytes);
        assert.equal(rebuilt.state.base?.tablesSaved, false, what);
        assert.deepEqual(await answers(modelOf(rebuilt), ...args), expected, what);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
