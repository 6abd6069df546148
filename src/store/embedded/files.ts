import { open, rename } from 'node:fs/promises';

/** A new or renamed file's directory entry is only durable once the directory itself is synced. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a whole file atomically: aside, synced, renamed into place, directory synced. */
export async function writeFileAtomically(dir: string, path: string, data: Uint8Array): Promise<void> {
  const temporary = `${path}.new`;
  const file = await open(temporary, 'w');
  try {
    for (let done = 0; done < data.length;) done += (await file.write(data, done, data.length - done, done)).bytesWritten;
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncDir(dir);
}
