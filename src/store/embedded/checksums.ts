// A CRC-32 of every 64 MiB segment of the log's records, kept as the log grows and saved in the index snapshot, so
// a warm open can still check every byte the snapshot covers (fast: a few CRC calls per segment, in parallel
// threads for big logs) and refuse to open a log damaged anywhere, without parsing a single record.
import { crc32 } from 'node:zlib';

export const SEGMENT_BYTES = 64 * 1024 * 1024;

export class SegmentChecksums {
  /** CRC of each segment; the last one covers the segment up to `end`. */
  readonly crcs: number[] = [];

  constructor(
    /** Where the first segment starts (the first record). */
    readonly start: number,
    /** How far the checksums reach. */
    public end: number = start,
  ) {}

  /** Adds `bytes`, which sit at file offset `at` = `end`. */
  absorb(bytes: Uint8Array, at: number): void {
    if (at !== this.end) throw new Error(`embedded event store: checksums reach byte ${this.end}, not ${at}`);
    let done = 0;
    while (done < bytes.length) {
      const offset = this.end - this.start;
      const k = Math.floor(offset / SEGMENT_BYTES);
      const room = (k + 1) * SEGMENT_BYTES - offset;
      const n = Math.min(room, bytes.length - done);
      if (k === this.crcs.length) this.crcs.push(0);
      this.crcs[k] = crc32(bytes.subarray(done, done + n), this.crcs[k]!);
      done += n;
      this.end += n;
    }
  }

  /** The byte ranges the checksums cover, with their CRC. */
  ranges(): { start: number; end: number; crc: number }[] {
    return this.crcs.map((crc, k) => ({
      start: this.start + k * SEGMENT_BYTES,
      end: Math.min(this.start + (k + 1) * SEGMENT_BYTES, this.end),
      crc,
    }));
  }
}
