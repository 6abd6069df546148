// The bounded caches of the service (folded states, account keys, records read and just written, opened personal
// data) are Maps that drop their oldest entry once they hold more than they may. Map order is insertion order, so a
// cache that wants least-recently-used order deletes an entry before setting it again.

/** A Map of at most `limit` entries: a set() that makes one more drops the oldest (the first inserted). */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.set(key, value);
    if (this.size > this.limit) this.delete(this.keys().next().value!);
    return this;
  }
}
