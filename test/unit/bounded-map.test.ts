// The bound of the service's caches: never more than the limit, the newest entries kept, the oldest dropped first,
// and a re-set entry counted as new (how the caches keep least-recently-used order).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedMap } from '../../src/bounded-map.js';

describe('BoundedMap', () => {
  it('holds at most its limit, dropping the oldest entries first, down to 7/8 of it', () => {
    const map = new BoundedMap<number, string>(80);
    for (let i = 0; i < 80; i++) map.set(i, `v${i}`);
    assert.equal(map.size, 80, 'up to the limit nothing is dropped');
    map.set(80, 'v80');
    assert.equal(map.size, 70, 'one more drops a batch of the oldest');
    assert.deepEqual(
      [...map.keys()],
      Array.from({ length: 70 }, (_, i) => i + 11),
    );
    assert.equal(map.get(80), 'v80');
  });

  it('under churn keeps exactly the newest entries, never more than the limit', () => {
    const limit = 1000;
    const map = new BoundedMap<string, number>(limit);
    for (let i = 0; i < 50 * limit; i++) {
      map.set(`k${i}`, i);
      assert.ok(map.size <= limit);
      if (i % 997 === 0) {
        // What is held is the newest `size` entries, in insertion order.
        const values = [...map.values()];
        assert.deepEqual(
          values,
          Array.from({ length: values.length }, (_, j) => i - values.length + 1 + j),
        );
        assert.ok(i < limit || map.size >= (limit * 7) / 8);
      }
    }
  });

  it('counts an entry deleted and set again as the newest', () => {
    const map = new BoundedMap<string, number>(8);
    for (const k of 'abcdefgh') map.set(k, 0);
    map.delete('a');
    map.set('a', 1);
    map.set('z', 0);
    assert.ok(map.has('a'), 'the refreshed entry survives');
    assert.ok(!map.has('b'), 'the oldest untouched one is dropped');
  });
});
