// Integer ids: in order from the read model's highest, never twice from one process, and past a lost id by a
// random stride so that two processes registering at once stop meeting on the same ids.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { userIds } from '../../src/commands/user-ids.js';

const readModelAt = (max: number) => ({ maxIntegerId: async () => max });

describe('userIds', () => {
  it('hands out ids in order from the highest the read model has seen, never one twice', async () => {
    const ids = userIds('integer', readModelAt(41));
    const handed = await Promise.all(Array.from({ length: 20 }, () => ids.next()));
    assert.deepEqual(
      handed.map(Number).sort((x, y) => x - y),
      Array.from({ length: 20 }, (_, i) => 42 + i),
    );
  });

  it('after a lost id, moves past it by the random stride (0 to 3 ids skipped), and goes on from there', async () => {
    const strides = [0, 0.99, 0.5];
    const ids = userIds('integer', readModelAt(3), () => strides.shift()!);
    assert.equal(await ids.next(), '4');
    // Another process took 10 (the read model has not seen it yet): the next is past 10.
    assert.equal(await ids.next({ lost: '10' }), '11');
    assert.equal(await ids.next({ lost: '11' }), '15'); // 11 + 3 skipped + 1
    assert.equal(await ids.next(), '16');
    assert.equal(await ids.next({ lost: '12' }), '19'); // already past 12: 16 + 2 skipped + 1
  });

  it('after a loss, catches up with a read model that moved on', async () => {
    let max = 0;
    const ids = userIds('integer', { maxIntegerId: async () => max }, () => 0);
    assert.equal(await ids.next(), '1');
    max = 30;
    assert.equal(await ids.next(), '2'); // no loss: no need to ask again
    assert.equal(await ids.next({ lost: '3' }), '31');
  });

  it('uuid ids are random and distinct', async () => {
    const ids = userIds('uuid', readModelAt(0));
    const [x, y] = await Promise.all([ids.next(), ids.next()]);
    assert.match(x, /^[0-9a-f-]{36}$/);
    assert.notEqual(x, y);
  });
});
