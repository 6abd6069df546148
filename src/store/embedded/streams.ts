// Stream ids → stream numbers without a JS Map: the ids' UTF-8 bytes live in an arena of 1 MiB pages, and an
// open-addressing hash table of int32 slots points at them. At 2M streams this is ~70 bytes a stream, about half of
// a Map<string, …> of the same ids, and none of it is objects the garbage collector has to trace.
import { int32s, uint16s, uint32s } from './columns.js';

export const PAGE_BYTES = 1 << 20;
/** Stream ids are stored with a u16 length; anything longer is refused at append. */
export const MAX_STREAM_ID_BYTES = 0xffff;

/** FNV-1a, 32 bits: cheap on short ids; collisions only cost a byte comparison. */
export function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

export class StreamTable {
  /** Where each stream's id starts in the arena: page * PAGE_BYTES + offset in page (ids fill at most 4 GiB). */
  readonly idAt = uint32s();
  readonly idLength = uint16s();
  readonly hash = uint32s();
  /** The stream's last record, or -1 (never, once added). */
  readonly lastRecord = int32s();
  /** Events in the stream: the revision of its last event + 1 (below 2^32, as positions are). */
  readonly eventCount = uint32s();

  readonly pages: Uint8Array[] = [];
  /** Bytes used in each page. */
  readonly pageUsed: number[] = [];
  /** Stream number + 1 per slot; 0 = empty. Kept at most half full. */
  private slots = new Int32Array(1024);

  get size(): number {
    return this.hash.length;
  }

  /** The stream's number, or -1. */
  find(id: Uint8Array, h: number = hashBytes(id)): number {
    const mask = this.slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return -1;
      const s = entry - 1;
      if (this.hash.get(s) === h && this.idEquals(s, id)) return s;
    }
  }

  /** Adds a stream that `find` did not find; returns its number. */
  add(id: Uint8Array, h: number = hashBytes(id)): number {
    if (id.length > MAX_STREAM_ID_BYTES) throw new RangeError(`stream id longer than ${MAX_STREAM_ID_BYTES} bytes`);
    let page = this.pages.length - 1;
    if (page < 0 || this.pageUsed[page]! + id.length > PAGE_BYTES) {
      if ((page + 1) * PAGE_BYTES >= 2 ** 32) throw new RangeError('more stream ids than this store can index (4 GiB)');
      this.pages.push(new Uint8Array(PAGE_BYTES));
      this.pageUsed.push(0);
      page++;
    }
    const at = this.pageUsed[page]!;
    this.pages[page]!.set(id, at);
    this.pageUsed[page] = at + id.length;
    const s = this.size;
    this.idAt.push(page * PAGE_BYTES + at);
    this.idLength.push(id.length);
    this.hash.push(h);
    this.lastRecord.push(-1);
    this.eventCount.push(0);
    if ((s + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(s);
    return s;
  }

  /** The stream's id bytes (a view into the arena). */
  id(s: number): Uint8Array {
    const at = this.idAt.get(s);
    const page = Math.floor(at / PAGE_BYTES);
    const start = at - page * PAGE_BYTES;
    return this.pages[page]!.subarray(start, start + this.idLength.get(s));
  }

  /** Rebuilds the hash table from the stored hashes (after a snapshot load). */
  rehash(capacity = 1024): void {
    while (capacity < this.size * 2 + 2) capacity *= 2;
    this.slots = new Int32Array(capacity);
    for (let s = 0; s < this.size; s++) this.place(s);
  }

  get byteSize(): number {
    return (
      this.idAt.byteSize +
      this.idLength.byteSize +
      this.hash.byteSize +
      this.lastRecord.byteSize +
      this.eventCount.byteSize +
      this.pages.length * PAGE_BYTES +
      this.slots.byteLength
    );
  }

  private place(s: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hash.get(s) & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = s + 1;
  }

  private idEquals(s: number, id: Uint8Array): boolean {
    if (this.idLength.get(s) !== id.length) return false;
    const at = this.idAt.get(s);
    const page = this.pages[Math.floor(at / PAGE_BYTES)]!;
    const start = at % PAGE_BYTES;
    for (let i = 0; i < id.length; i++) if (page[start + i] !== id[i]) return false;
    return true;
  }
}
