// The embedded log holds password hashes and token digests: its directory is 0700 and every file it writes 0600
// (log, index snapshot, lock, a migration's copy of the original, a repair's backup), whatever the umask.
import assert from 'node:assert/strict';
import { stat, readdir, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { repairEmbeddedLog } from '../../src/store/embedded.js';
import { event, Fixture, logOf } from './helpers.js';

async function modes(dir: string): Promise<string[]> {
  const out = [`. ${((await stat(dir)).mode & 0o777).toString(8)}`];
  for (const name of (await readdir(dir)).sort()) out.push(`${name} ${((await stat(join(dir, name))).mode & 0o777).toString(8)}`);
  return out;
}

const privately = (list: string[]) => list.filter((line) => !/ (700|600)$/.test(line));

describe('embedded log, file modes under umask 000', () => {
  const fx = new Fixture();
  let umask: number;
  before(() => void (umask = process.umask(0o000)));
  after(() => void process.umask(umask));
  afterEach(() => fx.cleanup());

  it('a new log: directory, log, lock, index snapshot and a repair backup', async () => {
    const dir = join(await fx.dir(), 'events');
    const store = await fx.open(dir);
    for (let i = 0; i < 5; i++) await store.append(`s-${i}`, [event({ n: i })], 'no_stream');
    const running = await modes(dir);
    assert.ok(
      running.some((l) => l.startsWith('events.lock ')),
      running.join(', '),
    );
    assert.deepEqual(privately(running), []);
    await fx.cleanupStores(); // writes the index snapshot
    await repairEmbeddedLog(dir, { cutAt: store.index.end, warn: fx.warn });
    const after = await modes(dir);
    assert.ok(
      after.some((l) => l.startsWith('events.log.backup-')),
      after.join(', '),
    );
    assert.deepEqual(privately(after), []);
  });

  it('a version-1 log made 0644: the migrated log and the kept original', async () => {
    const dir = await fx.dir();
    const payload = Buffer.from(
      JSON.stringify({
        s: 'user-1',
        r: '0',
        p: '1',
        t: new Date().toISOString(),
        e: [{ id: crypto.randomUUID(), type: 'T', data: {}, metadata: {} }],
      }),
    );
    const header = Buffer.alloc(8);
    header.writeUInt32BE(payload.length, 0);
    header.writeUInt32BE(crc32(payload), 4);
    await writeFile(logOf(dir), Buffer.concat([header, payload]));
    await chmod(logOf(dir), 0o644);
    await chmod(dir, 0o755);
    await fx.open(dir);
    await fx.cleanupStores();
    const list = await modes(dir);
    assert.ok(
      list.some((l) => l.startsWith('events.log.v1 ')),
      list.join(', '),
    );
    assert.deepEqual(privately(list), []);
  });
});
