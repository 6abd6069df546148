// The read-model snapshot is used only when it can be trusted: checksummed (a damaged or cut file is refused), of
// this log (not another one, not past its end, not a log cut and written again) and of this code; each refusal is
// one log line saying why, and the whole log is replayed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedEventStore, repairEmbeddedLog, type EmbeddedEventStore } from '../../src/store/embedded.js';
import type { Logger } from '../../src/log.js';
import { createMemoryReadModel, type MemoryReadModel } from '../../src/readmodel/memory.js';
import { openReadModelSnapshots, logIdOf } from '../../src/readmodel/memory-snapshots.js';
import {
  projectionFingerprint,
  READ_MODEL_SNAPSHOT_FILE,
  readReadModelSnapshot,
  REBUILT_SNAPSHOT_FILE,
  writeReadModelSnapshot,
} from '../../src/readmodel/snapshot.js';
import { readModelProjection } from '../../src/projections/read-model.projection.js';
import { userEvent, userStream } from '../../src/events/user.events.js';
import type { Position } from '../../src/store/port.js';
import { memoryContents, resealed, userSlotCount, withMeta } from '../support/memory-contents.js';

const flip = (b: Buffer, at: number, bits: number) => void (b[at] = b[at]! ^ bits);

const recording = () => {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { log, lines };
};

/** Registers `n` users in `store` and projects the log into a new model with its checkpoint. */
async function fill(
  store: EmbeddedEventStore,
  n: number,
  model = createMemoryReadModel(),
): Promise<{ model: MemoryReadModel; last: Position }> {
  let last!: Position;
  for (let i = 0; i < n; i++) {
    const userId = randomUUID();
    const data = {
      userId,
      username: `user-${userId.slice(0, 8)}`,
      email: `${userId.slice(0, 8)}@example.com`,
      firstName: i % 2 ? 'Ada' : '',
      lastName: '',
      profile: (i % 3 ? {} : { nickname: `n${i}` }) as Record<string, string>,
      passwordHash: null,
      isActive: true,
      isStaff: i === 0,
      isSuperuser: false,
      at: new Date(1_700_000_000_000 + i).toISOString(),
    };
    const event = userEvent('UserRegistered', data);
    last = (await store.append(userStream(userId), [{ id: randomUUID(), type: event.type, data: event.data }], 'no_stream')).position;
  }
  const project = readModelProjection(model);
  for await (const e of store.readAll()) {
    await project(e);
    await model.saveCheckpoint('read-model', e.position);
  }
  return { model, last };
}

describe('read-model snapshots', () => {
  let dir: string;
  let logDir: string;
  let store: EmbeddedEventStore;
  const file = () => path.join(dir, READ_MODEL_SNAPSHOT_FILE);
  const open = async (model = createMemoryReadModel(), extra: { fullReplay?: boolean } = {}) => {
    const { log, lines } = recording();
    const snapshots = await openReadModelSnapshots({ dir, model, store, logId: logIdOf(store), log, ...extra });
    return { snapshots, lines, model };
  };
  /** Writes the snapshot of a model of the log as it is now. */
  const snapshotNow = async () => {
    const { model } = await fill(store, 0, (await fillFresh()).model);
    const { snapshots } = await open(model);
    await snapshots.close();
  };
  const fillFresh = async () => {
    const model = createMemoryReadModel();
    const project = readModelProjection(model);
    for await (const e of store.readAll()) {
      await project(e);
      await model.saveCheckpoint('read-model', e.position);
    }
    return { model };
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-rm-snapshot-'));
    logDir = path.join(dir, 'events');
    store = await openEmbeddedEventStore(logDir, { warn: () => undefined });
    await fill(store, 50);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is written 0600 at close, and loads back the same model', async () => {
    const { model } = await fillFresh();
    const first = await open(model);
    assert.deepEqual(first.snapshots.startedFrom, { loaded: false, reason: `there is no read-model snapshot (${file()})` });
    assert.match(first.lines[0]!.msg, /replaying the whole log: there is no read-model snapshot/);
    await first.snapshots.close();
    assert.equal((await stat(file())).mode & 0o777, 0o600);
    const second = await open();
    assert.equal(second.snapshots.startedFrom.loaded, true);
    assert.deepEqual(memoryContents(second.model), memoryContents(model));
    assert.match(second.lines.at(-1)!.msg, /loaded its snapshot in \d+ ms \(50 users, 0 tokens, up to position \d+\)/);
    await second.snapshots.close();
  });

  it('refuses columns that do not hold what they say, even under a checksum that matches (another writer)', async () => {
    await snapshotNow();
    const good = await readFile(file());
    const chunk = 12 + good.readUInt32BE(8);
    const rows = good.readUInt32LE(chunk + 5);
    // The first string column (the ids): its encoding byte, then its byte length.
    const encodingAt = chunk + 5 + 4 + rows + 4 * 8 * rows;
    const changed = (change: (b: Buffer) => void) => {
      const b = Buffer.from(good);
      change(b);
      return resealed(b);
    };
    for (const [what, bad, reason] of [
      ['an unknown encoding', changed((b) => void (b[encodingAt] = 7)), /damaged at byte \d+ \(a string column of an unknown encoding\)/],
      [
        'a column longer than its chunk',
        changed((b) => b.writeUInt32LE(2 ** 30, encodingAt + 1)),
        /damaged at byte \d+ \(a column runs past/,
      ],
      [
        'lengths that do not add up',
        changed((b) => b.writeUInt32LE(b.readUInt32LE(encodingAt + 1) - 1, encodingAt + 1)),
        /damaged at byte/,
      ],
    ] as const) {
      await writeFile(file(), bad);
      const { snapshots, lines, model } = await open();
      assert.equal(snapshots.startedFrom.loaded, false, what);
      assert.match(lines.find((l) => l.level === 'warn')!.msg, reason, what);
      assert.equal(userSlotCount(model), 0, `${what}: nothing of it loaded`);
    }
  });

  it('refuses a damaged or cut snapshot: its checksum covers every byte, the header too', async () => {
    await snapshotNow();
    const good = await readFile(file());
    for (const [what, damage, reason] of [
      ['a flipped byte', (b: Buffer) => flip(b, Math.floor(b.length / 2), 0x20), /checksum does not match|damaged at byte/],
      ['a flipped byte in the header', (b: Buffer) => flip(b, 9, 0x01), /checksum does not match/],
      ['a flipped trailer', (b: Buffer) => flip(b, b.length - 1, 0x01), /checksum does not match/],
    ] as const) {
      const bad = Buffer.from(good);
      damage(bad);
      await writeFile(file(), bad);
      const { snapshots, lines, model } = await open();
      assert.equal(snapshots.startedFrom.loaded, false, what);
      assert.match(
        lines.find((l) => l.level === 'warn')!.msg,
        new RegExp(`replaying the whole log: the snapshot .* cannot be used: .*(${reason.source})`),
        what,
      );
      assert.equal(userSlotCount(model), 0, `${what}: nothing of it loaded`);
    }
    // Read in pieces (checksummed while the next is read), every byte still counts, the last piece's included.
    await writeFile(file(), good);
    const whole = await readReadModelSnapshot(file());
    const inPieces = await readReadModelSnapshot(file(), { pieceBytes: 7 });
    assert.ok(whole && 'state' in whole && inPieces && 'state' in inPieces);
    assert.equal(inPieces.meta.users, whole.meta.users);
    assert.ok(whole.meta.users > 0);
    for (const at of [0, 6, 7, 8, Math.floor(good.length / 2), good.length - 6, good.length - 5]) {
      const bad = Buffer.from(good);
      flip(bad, at, 0x01);
      await writeFile(file(), bad);
      const read = await readReadModelSnapshot(file(), { pieceBytes: 7 });
      assert.ok(read && 'refused' in read, `a flipped byte at ${at} of ${good.length}, read in pieces`);
    }
    // A snapshot of an older format (3: no index tables), whole and checksummed: refused by its format, not misread.
    await writeFile(
      file(),
      withMeta(good, (meta) => void (meta.format = 3)),
    );
    assert.deepEqual(await readReadModelSnapshot(file()), { refused: 'it is in format 3, this version reads 4' });
    await writeFile(file(), good.subarray(0, good.length - 100));
    assert.match(((await readReadModelSnapshot(file())) as { refused: string }).refused, /checksum does not match|cut short/);
    await writeFile(file(), 'not a snapshot at all');
    assert.deepEqual(await readReadModelSnapshot(file()), { refused: 'it is not a read-model snapshot' });
  });

  it("refuses another log's snapshot, and another version of the projections'", async () => {
    const otherDir = await mkdtemp(path.join(tmpdir(), 'authstream-rm-other-'));
    const other = await openEmbeddedEventStore(path.join(otherDir, 'events'), { warn: () => undefined });
    try {
      const { model } = await fill(other, 3);
      const { log } = recording();
      const theirs = await openReadModelSnapshots({ dir, model, store: other, logId: logIdOf(other), log });
      await rm(file(), { force: true });
      await theirs.close(); // written into our DATA_DIR, as if the log had been swapped under it
    } finally {
      await other.close();
      await rm(otherDir, { recursive: true, force: true });
    }
    const mine = await open();
    assert.equal(mine.snapshots.startedFrom.loaded, false);
    assert.match(mine.lines[0]!.msg, /cannot be used: it was taken of another log \(log id [0-9a-f]{32}; this log's is [0-9a-f]{32}\)/);

    const { model } = await fillFresh();
    const state = model.capture();
    const at = state.checkpoints[0]![1];
    let eventId = '';
    for await (const e of store.readAll({ fromPosition: at, maxCount: 1 })) eventId = e.id;
    await writeReadModelSnapshot(file(), state, {
      fingerprint: 'f'.repeat(32),
      logId: logIdOf(store),
      eventId,
      position: at,
      source: 'service',
    });
    const stale = await open();
    assert.match(stale.lines[0]!.msg, /cannot be used: it was written by another version of the read-model projections/);
    assert.equal(await projectionFingerprint(), await projectionFingerprint());
  });

  it('a rebuilt snapshot is preferred once; a damaged one means the whole log, not the old snapshot', async () => {
    await snapshotNow();
    const { model } = await fillFresh();
    const state = model.capture();
    const at = state.checkpoints[0]![1];
    let eventId = '';
    for await (const e of store.readAll({ fromPosition: at, maxCount: 1 })) eventId = e.id;
    const rebuilt = path.join(dir, REBUILT_SNAPSHOT_FILE);
    const about = { fingerprint: await projectionFingerprint(), logId: logIdOf(store), eventId, position: at, source: 'rebuild' as const };
    await writeReadModelSnapshot(rebuilt, state, about);
    const first = await open();
    assert.match(first.lines.at(-1)!.msg, /loaded the rebuilt model \(authstream rebuild\)/);
    await assert.rejects(stat(rebuilt), { code: 'ENOENT' });
    await first.snapshots.close();
    assert.equal(((await readReadModelSnapshot(file())) as { meta: { source: string } }).meta.source, 'rebuild');

    await writeReadModelSnapshot(rebuilt, state, about);
    await truncate(rebuilt, 40);
    const second = await open();
    assert.equal(second.snapshots.startedFrom.loaded, false);
    assert.match(second.lines[0]!.msg, /the snapshot .*read-model\.rebuilt\.snapshot cannot be used/);
    await assert.rejects(stat(rebuilt), { code: 'ENOENT' });
    assert.equal(userSlotCount(second.model), 0);
  });

  it('FULL_REPLAY ignores a good snapshot', async () => {
    await snapshotNow();
    const { snapshots, lines } = await open(createMemoryReadModel(), { fullReplay: true });
    assert.equal(snapshots.startedFrom.loaded, false);
    assert.match(lines[0]!.msg, /replaying the whole log: FULL_REPLAY is set/);
  });

  it('refuses a snapshot past the end of the log (cut by a repair), and one whose event the log no longer has there', async () => {
    await snapshotNow();
    await store.close();
    // Cut the log back to its tenth record (a repair at a record boundary), keeping the same log id.
    const cutAt = await recordBoundary(logDir, 10);
    await repairEmbeddedLog(logDir, { cutAt, warn: () => undefined });
    store = await openEmbeddedEventStore(logDir, { warn: () => undefined });
    const past = await open();
    assert.equal(past.snapshots.startedFrom.loaded, false);
    assert.match(past.lines[0]!.msg, /cannot be used: it covers the log up to position \d+, past the end of this log/);
    // Written again up to and past where the snapshot ends: the position exists, with another event.
    await fill(store, 60);
    const other = await open();
    assert.match(other.lines[0]!.msg, /cannot be used: this log holds another event at its position \d+/);
  });
});

/** Where the n-th record of the log ends (a boundary `log repair` accepts). */
async function recordBoundary(logDir: string, n: number): Promise<number> {
  const reader = await openEmbeddedEventStore(logDir, { readOnly: true, warn: () => undefined });
  try {
    return reader.index.offset.get(n);
  } finally {
    await reader.close();
  }
}
