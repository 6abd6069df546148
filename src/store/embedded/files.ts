import { open, rename } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from '../../data-dir.js';

/** A new or renamed file's directory entry is only durable once the directory itself is synced. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Opens a new file for writing, 0600 whatever the umask (narrowed if it existed wider). */
export async function createPrivate(path: string): Promise<import('node:fs/promises').FileHandle> {
  const file = await open(path, 'w', PRIVATE_FILE_MODE);
  try {
    await file.chmod(PRIVATE_FILE_MODE);
  } catch (err) {
    await file.close();
    throw err;
  }
  return file;
}

/** Writes a whole file atomically: aside (0600), synced, renamed into place, directory synced. */
export async function writeFileAtomically(dir: string, path: string, data: Uint8Array): Promise<void> {
  const temporary = `${path}.new`;
  const file = await createPrivate(temporary);
  try {
    for (let done = 0; done < data.length;) done += (await file.write(data, done, data.length - done, done)).bytesWritten;
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncDir(dir);
}
