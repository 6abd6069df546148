// A version-1 log (no file header, no header checksums) opened for writing is first rewritten in version 2, with
// the same events, positions, revisions and times. The original is kept, byte for byte, as events.log.v1 (a hard
// link: no copy). The new log is written aside, synced, and renamed over events.log, so a crash at any point leaves
// events.log either wholly version 1 (migrated again at the next open) or wholly version 2.
// Read-only opens read version 1 in place and never migrate.
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, link, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { EmbeddedLogDamagedError } from './errors.js';
import { encodeEvents, encodeFileHeader, encodeRecord, LOG_FILE } from './format.js';
import { v1 } from './format-v1.js';
import { LogIndex } from './log-index.js';
import { scanLog } from './scan.js';
import { PRIVATE_FILE_MODE } from '../../data-dir.js';
import { createPrivate, syncDir } from './files.js';

const FLUSH_BYTES = 4 * 1024 * 1024;

export async function migrateV1(dir: string, warn: (m: string) => void): Promise<void> {
  const path = join(dir, LOG_FILE);
  const temporary = `${path}.migrating`;
  const source = await open(path, 'r');
  const target = await createPrivate(temporary);
  try {
    const header = encodeFileHeader(randomBytes(16));
    let written = 0;
    let pending: Buffer[] = [header];
    let pendingBytes = header.length;
    const flush = async () => {
      const data = Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      for (let done = 0; done < data.length;) done += (await target.write(data, done, data.length - done, written + done)).bytesWritten;
      written += data.length;
    };
    const index = new LogIndex(0);
    const size = (await source.stat()).size;
    const result = await scanLog(source, v1, 0, size, (at, record, buf, bufAt) => {
      const refused = index.add(at, record);
      if (refused) return { kind: 'out-of-order', detail: refused };
      const d = v1.decode(buf, bufAt, record.length);
      const streamId = Buffer.from(d.streamId);
      const encoded = encodeRecord(
        { position: d.position, revision: d.revision, created: d.created, streamId, count: d.events.length },
        encodeEvents(d.events.map((e) => ({ id: e.i, type: e.y, data: e.d, metadata: e.m }))),
      );
      pending.push(encoded);
      pendingBytes += encoded.length;
      return pendingBytes >= FLUSH_BYTES ? flush().then(() => undefined) : undefined;
    });
    if (result.problem && !result.problem.torn) throw new EmbeddedLogDamagedError(path, result.problem, 'opening');
    await flush();
    await target.datasync();
    await target.close();
    await source.close();

    const backup = await freeName(`${path}.v1`);
    await link(path, backup).catch(() => copyFile(path, backup));
    await chmod(backup, PRIVATE_FILE_MODE); // the original's mode may be wider (a version-1 log was made 0644)
    await rename(temporary, path);
    await syncDir(dir);
    warn(
      `embedded event store: migrated ${path} from format 1 to format 2 (${index.events} events); the original is kept as ${backup}` +
        (result.problem ? `; its torn last write at byte ${result.problem.offset} (${result.problem.detail}) was not carried over` : ''),
    );
  } catch (err) {
    await target.close().catch(() => undefined);
    await source.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}

async function freeName(base: string): Promise<string> {
  for (let i = 0; ; i++) {
    const name = i === 0 ? base : `${base}.${i}`;
    if (
      !(await stat(name).then(
        () => true,
        () => false,
      ))
    )
      return name;
  }
}
