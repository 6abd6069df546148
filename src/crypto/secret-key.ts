// On the embedded default SECRET_KEY may be unset: one is generated on first start and kept under DATA_DIR, so
// tokens, JWTs and emailed links stay valid across restarts. It is never logged.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../log.js';
import { ensurePrivateDir, writePrivateFile } from '../data-dir.js';

export async function loadSecretKey(dataDir: string, log: Logger): Promise<string> {
  const file = path.join(dataDir, 'secret_key');
  try {
    const key = (await readFile(file, 'utf8')).trim();
    if (key.length >= 32) return key;
    throw new Error(`${file} holds no usable key (under 32 characters)`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await ensurePrivateDir(dataDir, log);
  const key = randomBytes(48).toString('base64url');
  // 'wx' fails if another process created it meanwhile: then use theirs.
  try {
    await writePrivateFile(file, `${key}\n`, 'wx');
    log.info(`generated a secret key in ${file}`);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw error;
  }
}

/** The key the embedded default generated, read only (never created): undefined when there is none. */
export async function readSecretKey(dataDir: string): Promise<string | undefined> {
  try {
    const key = (await readFile(path.join(dataDir, 'secret_key'), 'utf8')).trim();
    return key.length >= 32 ? key : undefined;
  } catch {
    return undefined;
  }
}
