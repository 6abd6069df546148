// `authstream log check` and `log repair`: the embedded log's report, with exit codes and the damaged offset named.
import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import { cli } from './run.js';

const event = (n: number) => ({ id: randomUUID(), type: 'Noted', data: { n, text: `event number ${n}` } });

describe('authstream log check / repair', () => {
  let dataDir: string;
  let logDir: string;
  let logFile: string;
  /** Where each of the three records ends. */
  const ends: number[] = [];
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-cli-log-'));
    logDir = path.join(dataDir, 'events');
    logFile = path.join(logDir, 'events.log');
    const store = await openEmbeddedEventStore(logDir, { warn: () => {} });
    for (let n = 0; n < 3; n++) {
      await store.append(`note-${n}`, [event(n)], 'any');
      ends.push((await stat(logFile)).size);
    }
    await store.close();
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('exits 0 on a sound log, reading DATA_DIR/events', async () => {
    const { code, stdout, stderr } = await cli(['log', 'check'], { DATA_DIR: dataDir });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /3 records, 3 events, 3 streams/);
    assert.match(stdout, /verdict: +ok/);
  });

  it('exits 1 where there is no log', async () => {
    const { code, stdout } = await cli(['log', 'check', '--dir', path.join(dataDir, 'nothing-here')]);
    assert.equal(code, 1);
    assert.match(stdout, /no event log here/);
  });

  it('refuses to repair while a service holds the log (exit 1, nothing cut)', async () => {
    const store = await openEmbeddedEventStore(logDir, { warn: () => {} });
    try {
      const { code, stderr } = await cli(['log', 'repair', '--dir', logDir, '--cut-at', String(ends[1]), '--drop-sound-records']);
      assert.equal(code, 1, stderr);
      assert.match(stderr, /repair refused, nothing was cut: .*is locked by process/);
    } finally {
      await store.close();
    }
    assert.equal((await stat(logFile)).size, ends[2]);
  });

  it('exits 1 on a damaged log and names the offset; repair cuts there after a backup', async () => {
    // Flip a byte inside the second record: a whole record whose checksum fails, with a sound one after it.
    const file = await open(logFile, 'r+');
    const at = ends[0]! + Math.floor((ends[1]! - ends[0]!) / 2);
    const byte = Buffer.alloc(1);
    await file.read(byte, 0, 1, at);
    byte[0] = byte[0]! ^ 0xff;
    await file.write(byte, 0, 1, at);
    await file.close();

    const check = await cli(['log', 'check', '--dir', logDir]);
    assert.equal(check.code, 1, check.stderr);
    assert.match(check.stdout, new RegExp(`problem: +at byte ${ends[0]}:`));
    assert.match(check.stdout, new RegExp(`a sound record follows at byte ${ends[1]}`));
    assert.match(check.stdout, new RegExp(`authstream log repair --cut-at ${ends[0]}`));
    const json = await cli(['log', 'check', '--dir', logDir, '--json']);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).problem.offset, ends[0]);

    // Cutting where no record starts, or before the sound records end without saying so: refused, nothing cut.
    const notBoundary = await cli(['log', 'repair', '--dir', logDir, '--cut-at', String(ends[0]! - 3)]);
    assert.equal(notBoundary.code, 2, notBoundary.stderr);
    assert.match(notBoundary.stderr, /--drop-sound-records/);
    const inside = await cli(['log', 'repair', '--dir', logDir, '--cut-at', String(ends[0]! - 3), '--drop-sound-records']);
    assert.equal(inside.code, 1, inside.stderr);
    assert.match(inside.stderr, /not where a record starts/);
    const past = await cli(['log', 'repair', '--dir', logDir, '--cut-at', String(ends[1])]);
    assert.equal(past.code, 1, past.stderr);
    assert.match(past.stderr, /repair refused, nothing was cut: .*past the last sound record/);
    assert.equal((await stat(logFile)).size, ends[2]);

    const repair = await cli(['log', 'repair', '--dir', logDir, '--cut-at', String(ends[0])]);
    assert.equal(repair.code, 0, repair.stderr);
    assert.match(repair.stdout, new RegExp(`removing ${ends[2]! - ends[0]!} bytes`));
    assert.equal((await stat(logFile)).size, ends[0]);
    const backups = (await readdir(logDir)).filter((f) => f.startsWith('events.log.backup-'));
    assert.equal(backups.length, 1);
    assert.equal((await stat(path.join(logDir, backups[0]!))).size, ends[2]);

    const again = await cli(['log', 'check', '--dir', logDir]);
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /1 records, 1 events/);
  });
});
