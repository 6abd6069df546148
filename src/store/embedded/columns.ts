// Growable columns of numbers in fixed-size typed-array chunks: the index of a 10M-event log is a few hundred MB of
// plain numbers, which the garbage collector never has to walk, and growing never copies (or doubles) what is there.
// A full chunk of an append-only column never changes again, so a snapshot can write it without copying.

export const CHUNK_SHIFT = 16;
export const CHUNK = 1 << CHUNK_SHIFT;
const MASK = CHUNK - 1;

export type NumberArray = Float64Array | Uint32Array | Int32Array | Uint16Array;

export class Column<T extends NumberArray = NumberArray> {
  private readonly chunks: T[] = [];
  private count = 0;

  constructor(private readonly make: (length: number) => T) {}

  get length(): number {
    return this.count;
  }

  get(i: number): number {
    return this.chunks[i >>> CHUNK_SHIFT]![i & MASK]!;
  }

  set(i: number, value: number): void {
    this.chunks[i >>> CHUNK_SHIFT]![i & MASK] = value;
  }

  push(value: number): void {
    const i = this.count;
    if ((i & MASK) === 0 && i >>> CHUNK_SHIFT === this.chunks.length) this.chunks.push(this.make(CHUNK));
    this.chunks[i >>> CHUNK_SHIFT]![i & MASK] = value;
    this.count = i + 1;
  }

  /**
   * The bytes of entries [0, length) as they are now: full chunks as views when `appendOnly` (they will not change),
   * otherwise every chunk copied; the last, partial chunk always copied.
   */
  bytes(appendOnly: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let c = 0; c * CHUNK < this.count; c++) {
      const chunk = this.chunks[c]!;
      const entries = Math.min(CHUNK, this.count - c * CHUNK);
      const view = new Uint8Array(chunk.buffer, chunk.byteOffset, entries * chunk.BYTES_PER_ELEMENT);
      out.push(appendOnly && entries === CHUNK ? view : view.slice());
    }
    return out;
  }

  /** Appends `entries` values read by `fill` straight into fresh chunks (how a snapshot is loaded). */
  async load(entries: number, fill: (into: Uint8Array) => Promise<void>): Promise<void> {
    while (entries > 0) {
      if ((this.count & MASK) !== 0) throw new Error('Column.load needs a column ending on a chunk boundary');
      const chunk = this.make(CHUNK);
      const n = Math.min(CHUNK, entries);
      await fill(new Uint8Array(chunk.buffer, chunk.byteOffset, n * chunk.BYTES_PER_ELEMENT));
      this.chunks.push(chunk);
      this.count += n;
      entries -= n;
    }
  }

  /** Bytes held, for memory accounting. */
  get byteSize(): number {
    return this.chunks.reduce((sum, c) => sum + c.byteLength, 0);
  }
}

export const float64s = (): Column<Float64Array> => new Column((n) => new Float64Array(n));
export const uint32s = (): Column<Uint32Array> => new Column((n) => new Uint32Array(n));
export const int32s = (): Column<Int32Array> => new Column((n) => new Int32Array(n));
export const uint16s = (): Column<Uint16Array> => new Column((n) => new Uint16Array(n));
