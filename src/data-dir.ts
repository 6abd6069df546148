// DATA_DIR holds secrets at rest (issue #10.8): the generated secret key, the embedded event log (password hashes,
// token digests), checkpoints, sent-email records, dead letters and the development outbox (emails with live links).
// So every directory in it is 0700 and every file 0600, whatever the umask: directories and files are created with
// those modes (a umask can only narrow them), and at start the tree is brought back to them, saying so in the log.
import { chmodSync, mkdirSync, openSync, closeSync, writeSync, fchmodSync, statSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from './log.js';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;
const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * mkdir -p where every directory it makes is 0700; the last one, if it already existed with a wider mode, is
 * narrowed to 0700 (logged when a logger is given).
 */
export async function ensurePrivateDir(dir: string, log?: Logger): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = await stat(dir);
  if ((mode & 0o077) === 0) return;
  await chmod(dir, PRIVATE_DIR_MODE);
  log?.warn(`${dir} was ${octal(mode)}: made it ${octal(PRIVATE_DIR_MODE)} (it holds secrets)`);
}

/** ensurePrivateDir, synchronously (for adapters opened synchronously). */
export function ensurePrivateDirSync(dir: string, log?: Logger): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode } = statSync(dir);
  if ((mode & 0o077) === 0) return;
  chmodSync(dir, PRIVATE_DIR_MODE);
  log?.warn(`${dir} was ${octal(mode)}: made it ${octal(PRIVATE_DIR_MODE)} (it holds secrets)`);
}

/**
 * Writes (flag 'w'), creates exclusively ('wx') or appends to ('a') a file that is 0600 afterwards: created so, and
 * narrowed if it existed wider. Its directory must exist (ensurePrivateDir).
 */
export async function writePrivateFile(file: string, data: string | Uint8Array, flag: 'w' | 'wx' | 'a' = 'w'): Promise<void> {
  const handle = await open(file, flag, PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

/** Appends to a 0600 file, synchronously (a sent-email record must be on disk before the next step). */
export function appendPrivateFileSync(file: string, data: string): void {
  const fd = openSync(file, 'a', PRIVATE_FILE_MODE);
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

/**
 * Brings an existing DATA_DIR back to private modes: the directory and every directory below it 0700, every regular
 * file 0600 (symbolic links are not followed). A missing DATA_DIR is left to be created when first needed. One log
 * line says what was narrowed; a file that cannot be changed (owned by someone else) is a warning, not a failure.
 */
export async function securePrivateTree(dir: string, log: Logger): Promise<{ dirs: number; files: number }> {
  const changed = { dirs: 0, files: 0 };
  let top;
  try {
    top = await lstat(dir);
  } catch (error) {
    if (isMissing(error)) return changed;
    throw error;
  }
  if (!top.isDirectory()) return changed;
  if ((top.mode & 0o077) !== 0) {
    await chmod(dir, PRIVATE_DIR_MODE);
    log.warn(`DATA_DIR ${dir} was ${octal(top.mode)}: made it ${octal(PRIVATE_DIR_MODE)} (it holds secrets)`);
  }
  const failed: string[] = [];
  const walk = async (at: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(at);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const name of names) {
      const entry = path.join(at, name);
      let info;
      try {
        info = await lstat(entry);
      } catch (error) {
        if (isMissing(error)) continue; // removed meanwhile (a temporary file)
        throw error;
      }
      const wanted = info.isDirectory() ? PRIVATE_DIR_MODE : info.isFile() ? PRIVATE_FILE_MODE : null;
      if (wanted !== null && (info.mode & 0o777 & ~wanted) !== 0) {
        try {
          await chmod(entry, wanted);
          changed[info.isDirectory() ? 'dirs' : 'files']++;
        } catch (error) {
          if (!isMissing(error)) failed.push(`${entry} (${(error as NodeJS.ErrnoException).code ?? error})`);
        }
      }
      if (info.isDirectory()) await walk(entry);
    }
  };
  await walk(dir);
  if (changed.dirs || changed.files) {
    log.warn(`made ${changed.files} files (0600) and ${changed.dirs} directories (0700) under DATA_DIR ${dir} private`);
  }
  if (failed.length) log.warn(`could not make these private under DATA_DIR: ${failed.slice(0, 10).join(', ')}`);
  return changed;
}
