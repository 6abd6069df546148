// `authstream start` on a damaged embedded log: exit 1 with the store's message (where, what) and a pointer at
// `authstream log check`, no stack trace; nothing written to the log.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import { flipBit } from '../store/helpers.js';
import { cli } from './run.js';

describe('authstream start on a damaged embedded log', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-damaged-'));
    const store = await openEmbeddedEventStore(path.join(dataDir, 'events'), { warn: () => undefined });
    let middle = 0;
    for (let i = 0; i < 20; i++) {
      await store.append(`damaged-${i}`, [{ id: randomUUID(), type: 'Tested', data: { i } }], 'no_stream');
      if (i === 9) middle = store.index.end;
    }
    await store.close();
    await flipBit(path.join(dataDir, 'events', 'events.log'), middle + 20);
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('exits 1 naming the damage and `authstream log check`, without a stack', async () => {
    const log = path.join(dataDir, 'events', 'events.log');
    const before = await readFile(log);
    const { code, stderr } = await cli(['start'], { DATA_DIR: dataDir, PORT: '0' });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /authstream: failed to start: embedded event store: .*events\.log is damaged at byte \d+/);
    assert.match(stderr, /See `authstream log check` \(DATA_DIR=/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(await readFile(log), before, 'the log is left as it was');
  });
});
