// The merge of a replay on two threads: the worker's model, encoded and decoded, joined with this thread's into one
// base (MemoryBase.joined) answers as one model that took every write itself, and goes on taking writes; a
// username or token hash held on both sides is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryReadModel, type MemoryReadModel } from '../../src/readmodel/memory.js';
import { encodeShare, mergeShares } from '../../src/projections/partitioned-replay.js';
import { newUser } from '../contract/read-model.contract.js';
import { memoryContents } from '../support/memory-contents.js';

/** Writes `count` accounts (`side` names them) to every model given, with renames, logins, tokens, deletions. */
async function write(models: MemoryReadModel[], side: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const id = `${side}-${i}`;
    const doc = newUser({
      id,
      username: `${side}_${i}`,
      usernameKey: `${side}_${i}`,
      email: `u${i % 50}@example.com`,
      emailKey: `u${i % 50}@example.com`,
    });
    for (const m of models) await m.insertUser(doc);
    if (i % 3 === 0) for (const m of models) await m.setToken(id, 1, { keyHash: `${side}-hash-${i}`, created: new Date(1_000 + i) });
  }
  // After the folds: rows superseded in the bases (dead), accounts moved back into the maps.
  for (let i = 0; i < count; i += 7) {
    for (const m of models)
      await m.updateUser(`${side}-${i}`, 2, { username: `${side}_r${i}`, usernameKey: `${side}_r${i}`, lastLogin: new Date(5_000) });
  }
  for (let i = 0; i < count; i += 11) for (const m of models) await m.deleteUser(`${side}-${i}`, 3);
  for (let i = 0; i < count; i += 9)
    for (const m of models) await m.setToken(`${side}-${i}`, 4, { keyHash: `${side}-new-${i}`, created: new Date(9_000) });
}

const reply = (model: MemoryReadModel) => ({ ...encodeShare(model.capture()), last: null, events: 0, shareMs: 0, encodeMs: 0 });

describe('replay on two threads: the merge', () => {
  it('answers as one model that took every write, and goes on taking writes', async () => {
    const mine = createMemoryReadModel({ foldSlots: 900 });
    const theirs = createMemoryReadModel({ foldSlots: 700 });
    const all = createMemoryReadModel();
    // 4,500 and 5,000 accounts: more than a chunk each, neither a whole number of chunks.
    await write([mine, all], 'mine', 4_500);
    await write([theirs, all], 'theirs', 5_000);
    mergeShares(mine, reply(theirs), { last: { commit: 7n, prepare: 7n } });
    await all.saveCheckpoint('read-model', { commit: 7n, prepare: 7n });
    assert.deepEqual(memoryContents(mine), memoryContents(all));
    assert.equal(await mine.countUsers(), await all.countUsers());
    assert.equal((await mine.findUsersByEmail('u7@example.com')).length, (await all.findUsersByEmail('u7@example.com')).length);

    // Writes after the merge, to accounts of both sides and new ones, through more folds of the joined base.
    for (const m of [mine, all]) {
      await m.updateUser('theirs-1', 9, { username: 'moved', usernameKey: 'moved' });
      await m.setToken('mine-2', 9, { keyHash: 'after', created: new Date(1) });
      await m.deleteUser('theirs-4', 9);
    }
    await write([mine, all], 'later', 1_000);
    assert.deepEqual(memoryContents(mine), memoryContents(all));
  });

  it('refuses a username, or a token hash, held on both sides', async () => {
    for (const twin of ['username', 'token'] as const) {
      const mine = createMemoryReadModel();
      const theirs = createMemoryReadModel();
      await write([mine], 'mine', 10);
      await write([theirs], 'theirs', 10);
      if (twin === 'username') await theirs.insertUser(newUser({ id: 'twin', username: 'mine_5', usernameKey: 'mine_5' }));
      else await theirs.setToken('theirs-1', 5, { keyHash: 'mine-new-0', created: new Date(1) });
      assert.throws(
        () => mergeShares(mine, reply(theirs), { last: null }),
        twin === 'username'
          ? /username key of user .* is held by another account too/
          : /token hash of user .* is held by another account too/,
      );
    }
  });
});
