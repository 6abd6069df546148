// Everything an in-memory read model holds, in a comparable order and form: whether its accounts sit in its maps or
// in the snapshot it loaded (its base), two models that hold the same compare equal.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import {
  createMemoryReadModel,
  isTombstone,
  slotCounts,
  tokenSlotsOf,
  userSlotsOf,
  type MemoryReadModel,
} from '../../src/readmodel/memory.js';
import { readReadModelSnapshot, writeReadModelSnapshot } from '../../src/readmodel/snapshot.js';

const byKey = <T>(list: readonly T[], key: (t: T) => string) => [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

export function memoryContents(model: MemoryReadModel, withCheckpoints = true) {
  const state = model.capture();
  return {
    users: byKey([...userSlotsOf(state)], (u) => u.id).map((s) =>
      isTombstone(s) ? { ...s } : { ...s, profile: { ...s.profile }, revokedSessions: [...s.revokedSessions] },
    ),
    tokens: byKey([...tokenSlotsOf(state)], (t) => t.userId).map((t) => ({ ...t })),
    maxIntegerId: state.maxIntegerId,
    indexes: model.indexes(),
    ...(withCheckpoints ? { checkpoints: state.checkpoints } : {}),
  };
}

/** How many users (tombstones included) the model holds. */
export const userSlotCount = (model: MemoryReadModel): number => slotCounts(model.capture()).users;

/**
 * A new model loaded from a snapshot of `model` (its slots then live in the new model's base, not in its maps), as
 * a start loads one; the snapshot's file is removed afterwards.
 */
export async function reloaded(model: MemoryReadModel): Promise<MemoryReadModel> {
  const dir = await mkdtemp(path.join(tmpdir(), 'authstream-reloaded-'));
  try {
    const file = path.join(dir, 'model.snapshot');
    const about = { fingerprint: 'test', logId: null, eventId: 'test', source: 'service' as const, position: { commit: 1n, prepare: 1n } };
    await writeReadModelSnapshot(file, model.capture(), about);
    const loaded = await readReadModelSnapshot(file);
    if (!loaded || 'refused' in loaded) throw new Error(`the snapshot did not load: ${JSON.stringify(loaded)}`);
    const next = createMemoryReadModel();
    next.restore(loaded.state);
    return next;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `snapshot` with its trailing checksum made to match it again (as a writer of what was changed would have). */
export function resealed(snapshot: Buffer): Buffer {
  snapshot.writeUInt32BE(crc32(snapshot.subarray(0, snapshot.length - 4)) >>> 0, snapshot.length - 4);
  return snapshot;
}

/** A copy of `snapshot` with its header's meta JSON changed by `edit` (its length field too), resealed. */
export function withMeta(snapshot: Buffer, edit: (meta: Record<string, unknown>) => void): Buffer {
  const metaLength = snapshot.readUInt32BE(8);
  const meta = JSON.parse(snapshot.toString('utf8', 12, 12 + metaLength)) as Record<string, unknown>;
  edit(meta);
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const head = Buffer.from(snapshot.subarray(0, 12));
  head.writeUInt32BE(metaBytes.length, 8);
  return resealed(Buffer.concat([head, metaBytes, snapshot.subarray(12 + metaLength)]));
}
