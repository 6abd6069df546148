// The writer's lock on a log directory: one authstream writes a log at a time. Readers (readOnly) never take it.
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { PRIVATE_FILE_MODE } from '../../data-dir.js';
import { resolve } from 'node:path';

export interface Lock {
  release(): Promise<void>;
}

/** Lock files this process holds: a pid check cannot tell a second open in the same process from a stale lock. */
const heldLocks = new Set<string>();

/**
 * A lock file holding pid and host, created atomically with its content (written aside, then hard-linked into
 * place, which fails if it exists). A lock left by a crashed process on this host (dead pid, or our own pid reused
 * after a container restart) is taken over; anything else fails naming the holder. Two processes taking over the
 * same stale lock at the same instant could both succeed; that needs two servers started together after a crash.
 */
export async function acquireLock(path: string, warn: (m: string) => void): Promise<Lock> {
  const key = resolve(path);
  if (heldLocks.has(key)) throw new Error(`embedded event store: ${path} is already open in this process`);
  heldLocks.add(key); // before any await, so a concurrent open in this process sees it
  const lock: Lock = {
    async release() {
      if (heldLocks.delete(key)) await unlink(path).catch(() => undefined);
    },
  };
  try {
    const me = { pid: process.pid, host: hostname() };
    const draft = `${path}.${process.pid}.${Date.now()}`;
    await writeFile(draft, JSON.stringify({ ...me, since: new Date().toISOString() }), { mode: PRIVATE_FILE_MODE });
    try {
      for (let attempt = 0; ; attempt++) {
        const created = await link(draft, path).then(
          () => true,
          (err: NodeJS.ErrnoException) => {
            if (err.code === 'EEXIST') return false;
            throw err;
          },
        );
        if (created) return lock;
        const holder: { pid?: number; host?: string } = await readFile(path, 'utf8').then(
          (text) => JSON.parse(text),
          () => ({}),
        );
        const stale = holder.host === me.host && typeof holder.pid === 'number' && (holder.pid === me.pid || !isAlive(holder.pid));
        if (!stale || attempt > 0) {
          throw new Error(
            `embedded event store: ${path} is locked by process ${String(holder.pid)} on host ` +
              `${String(holder.host)}; another authstream is using this directory. If that process is gone, delete the lock file.`,
          );
        }
        warn(`embedded event store: taking over stale lock ${path} left by dead process ${holder.pid}`);
        await unlink(path).catch(() => undefined);
      }
    } finally {
      await unlink(draft).catch(() => undefined);
    }
  } catch (err) {
    heldLocks.delete(key);
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
