// The in-memory index's parts: chunked columns, the stream table, stream walks, segment checksums.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { SegmentChecksums, SEGMENT_BYTES } from '../../src/store/embedded/checksums.js';
import { CHUNK, float64s } from '../../src/store/embedded/columns.js';
import { LogIndex } from '../../src/store/embedded/log-index.js';
import { StreamTable } from '../../src/store/embedded/streams.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

describe('embedded log index', () => {
  it('columns grow across chunks and hold file offsets past 4 GiB exactly', () => {
    const column = float64s();
    for (let i = 0; i < CHUNK * 2 + 5; i++) column.push(i * 7 + 2 ** 33);
    assert.equal(column.length, CHUNK * 2 + 5);
    assert.equal(column.get(CHUNK), CHUNK * 7 + 2 ** 33);
    assert.equal(column.get(CHUNK * 2 + 4), (CHUNK * 2 + 4) * 7 + 2 ** 33);
    const bytes = column.bytes(true);
    assert.equal(bytes.length, 3);
    assert.equal(
      bytes.reduce((n, b) => n + b.length, 0),
      (CHUNK * 2 + 5) * 8,
    );
  });

  it('the stream table finds every id it holds, multi-byte and long ones too, and only those', () => {
    const table = new StreamTable();
    const ids = Array.from({ length: 50_000 }, (_, i) =>
      i % 7 === 0 ? `ünï-${i}-🔐` : i % 11 === 0 ? `long-${'x'.repeat(3000)}-${i}` : `user-${i}`,
    );
    ids.forEach((id, i) => assert.equal(table.add(utf8(id)), i));
    ids.forEach((id, i) => assert.equal(table.find(utf8(id)), i));
    assert.equal(table.find(utf8('user-50000')), -1);
    assert.equal(table.find(utf8('')), -1);
    assert.ok(table.pages.length > 1, 'ids span several arena pages');
    assert.equal(Buffer.from(table.id(7)).toString(), ids[7]);
  });

  it('the stream table tells apart ids whose hashes collide', () => {
    const table = new StreamTable();
    const ids = ['a', 'b', 'c', 'd'].map(utf8);
    ids.forEach((id) => table.add(id, 42));
    ids.forEach((id, i) => assert.equal(table.find(id, 42), i));
    assert.equal(table.find(utf8('e'), 42), -1);
    table.rehash();
    ids.forEach((id, i) => assert.equal(table.find(id, 42), i));
  });

  it('walks a stream back from its last record for any revision range', () => {
    const index = new LogIndex(0);
    let at = 0;
    const add = (stream: string, revision: number, count: number) => {
      const refused = index.add(at, { length: 10, position: index.events + 1, revision, count, streamId: utf8(stream) });
      assert.equal(refused, undefined);
      at += 10;
    };
    add('a', 0, 2); // record 0: a@0..1
    add('b', 0, 1); // record 1
    add('a', 2, 3); // record 2: a@2..4
    add('a', 5, 1); // record 3: a@5
    const a = index.streams.find(utf8('a'));
    assert.deepEqual(index.streamRecords(a, 0, 6), [
      { record: 0, revision: 0 },
      { record: 2, revision: 2 },
      { record: 3, revision: 5 },
    ]);
    assert.deepEqual(index.streamRecords(a, 3, 4), [{ record: 2, revision: 2 }]);
    assert.deepEqual(index.streamRecords(a, 5, 6), [{ record: 3, revision: 5 }]);
    assert.equal(index.recordOf(1), 0);
    assert.equal(index.recordOf(3), 1);
    assert.equal(index.recordOf(7), 3);
    assert.match(
      index.add(at, { length: 10, position: 8, revision: 5, count: 1, streamId: utf8('a') }) ?? '',
      /revision 5 .* revision 6 comes next/,
    );
    assert.match(
      index.add(at, { length: 10, position: 9, revision: 6, count: 1, streamId: utf8('a') }) ?? '',
      /position 9 .* position 8 comes next/,
    );
  });

  it('segment checksums split bytes at segment boundaries', () => {
    const sums = new SegmentChecksums(36);
    const first = Buffer.alloc(SEGMENT_BYTES - 10, 1);
    const second = Buffer.alloc(30, 2);
    sums.absorb(first, 36);
    sums.absorb(second, 36 + first.length);
    const all = Buffer.concat([first, second]);
    assert.deepEqual(sums.ranges(), [
      { start: 36, end: 36 + SEGMENT_BYTES, crc: crc32(all.subarray(0, SEGMENT_BYTES)) },
      { start: 36 + SEGMENT_BYTES, end: 36 + all.length, crc: crc32(all.subarray(SEGMENT_BYTES)) },
    ]);
    assert.throws(() => sums.absorb(second, 0), /reach byte/);
  });
});
