// What the store keeps in memory of the log: for every record its file offset, the position of its first event and
// the previous record of its stream; for every stream its id, last record and event count. Event bodies stay on disk.
// ~16 bytes a record and ~70 a stream: 1M events in streams of 5 is ~30 MB.
import { SegmentChecksums } from './checksums.js';
import { float64s, int32s, uint32s } from './columns.js';
import type { ProbedRecord } from './format.js';
import { hashBytes, StreamTable } from './streams.js';

/** Positions are kept as u32 in memory (4 billion events); the file format itself allows 2^48. */
export const MAX_POSITION = 0xffffffff;

export class LogIndex {
  readonly offset = float64s();
  readonly firstPosition = uint32s();
  /** The previous record of the same stream, or -1: a stream is read by walking back from its last record. */
  readonly previous = int32s();
  readonly streams = new StreamTable();
  /** Events in the log (= the position of the last one). */
  events = 0;
  /** Where the next record goes: just past the last one. */
  end: number;
  /** Of the bytes of the records, fed by whoever adds them (the scan, the writer); reaches `end`. */
  readonly checksums: SegmentChecksums;

  constructor(dataStart: number) {
    this.end = dataStart;
    this.checksums = new SegmentChecksums(dataStart);
  }

  get records(): number {
    return this.offset.length;
  }

  /**
   * Adds the record found at `at`, or says why it does not follow: the n-th event of the log must have position n,
   * and a stream's events consecutive revisions from 0.
   */
  add(
    at: number,
    record: Pick<ProbedRecord, 'length' | 'position' | 'revision' | 'count' | 'streamId'>,
    h = hashBytes(record.streamId),
  ): string | undefined {
    if (at !== this.end) return `a record at byte ${at} where the previous one ends at byte ${this.end}`;
    if (record.position !== this.events + 1) {
      return `the record holds position ${record.position} where position ${this.events + 1} comes next`;
    }
    if (record.position + record.count - 1 > MAX_POSITION) return 'more events than this store can index (2^32)';
    let s = this.streams.find(record.streamId, h);
    const expected = s < 0 ? 0 : this.streams.eventCount.get(s);
    if (record.revision !== expected) {
      return `the record holds revision ${record.revision} of its stream where revision ${expected} comes next`;
    }
    if (s < 0) s = this.streams.add(record.streamId, h);
    const r = this.records;
    this.offset.push(at);
    this.firstPosition.push(record.position);
    this.previous.push(this.streams.lastRecord.get(s));
    this.streams.lastRecord.set(s, r);
    this.streams.eventCount.set(s, expected + record.count);
    this.events += record.count;
    this.end = at + record.length;
    return undefined;
  }

  /** Events in record `r`. */
  count(r: number): number {
    return (r + 1 < this.records ? this.firstPosition.get(r + 1) : this.events + 1) - this.firstPosition.get(r);
  }

  /** Where record `r` ends. */
  recordEnd(r: number): number {
    return r + 1 < this.records ? this.offset.get(r + 1) : this.end;
  }

  /** The record holding the event at `position` (1..events). */
  recordOf(position: number): number {
    let lo = 0;
    let hi = this.records - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.firstPosition.get(mid) <= position) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * The records of stream `s` holding revisions [from, to), oldest first, with the revision of their first event.
   * Walks back from the stream's last record, so the cost is the records from `from` to the end of the stream.
   */
  streamRecords(s: number, from: number, to: number): { record: number; revision: number }[] {
    const out: { record: number; revision: number }[] = [];
    let end = this.streams.eventCount.get(s);
    for (let r = this.streams.lastRecord.get(s); r >= 0 && end > from; r = this.previous.get(r)) {
      const first = end - this.count(r);
      if (first < to) out.push({ record: r, revision: first });
      end = first;
    }
    return out.reverse();
  }

  get byteSize(): number {
    return this.offset.byteSize + this.firstPosition.byteSize + this.previous.byteSize + this.streams.byteSize;
  }
}
