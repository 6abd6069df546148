// The bounded caches of the service (folded states, account keys, records read and just written, opened personal
// data) are Maps that drop their oldest entries once they hold more than they may. Map order is insertion order, so a
// cache that wants least-recently-used order deletes an entry before setting it again.
//
// Entries are dropped in batches, not one per set(): V8 leaves a deleted Map entry as a hole that iteration steps
// over until the table is next rehashed, so finding "the oldest" by keys().next() after every set() walked over every
// entry dropped since the last rehash, and a cache under churn became quadratic (400k sets into a 50k map: 16 s; a
// cold start spent most of its time in the account-key cache). One walk per batch of limit/8 costs a few steps a set.

/** A Map of at most `limit` entries: a set() that makes one more drops the oldest, down to 7/8 of `limit`. */
export class BoundedMap<K, V> extends Map<K, V> {
  private readonly keep: number;

  constructor(private readonly limit: number) {
    super();
    this.keep = Math.max(0, limit - Math.max(1, Math.floor(limit / 8)));
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    if (this.size > this.limit) {
      let drop = this.size - this.keep;
      // Deleting the entry just visited is safe while iterating a Map.
      for (const oldest of this.keys()) {
        if (drop-- <= 0) break;
        this.delete(oldest);
      }
    }
    return this;
  }
}
