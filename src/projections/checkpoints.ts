// Where runners keep their positions: in the read model (projections, so the checkpoint and the documents live
// together), or in a small file under DATA_DIR (runners whose effects are outside the read model, e.g. emails,
// when the read model is rebuilt in memory at every start).
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { ensurePrivateDir, writePrivateFile } from '../data-dir.js';
import type { Position } from '../store/port.js';
import type { ReadModel } from '../readmodel/port.js';
import type { CheckpointStore } from './runner.js';

export const readModelCheckpoints = (model: ReadModel): CheckpointStore => ({
  load: (name) => model.loadCheckpoint(name),
  save: (name, position) => model.saveCheckpoint(name, position),
});

export function fileCheckpoints(dir: string): CheckpointStore {
  const file = (name: string) => path.join(dir, `checkpoint-${name}.json`);
  let dirMade = false;
  return {
    async load(name) {
      try {
        const { commit, prepare } = JSON.parse(await readFile(file(name), 'utf8')) as { commit: string; prepare: string };
        return { commit: BigInt(commit), prepare: BigInt(prepare) } satisfies Position;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async save(name, position) {
      if (!dirMade) {
        await ensurePrivateDir(dir);
        dirMade = true;
      }
      // Write then rename, so a crash leaves either the old or the new checkpoint, never half of one. 0600 like
      // everything under DATA_DIR.
      const tmp = `${file(name)}.tmp`;
      await writePrivateFile(tmp, JSON.stringify({ commit: String(position.commit), prepare: String(position.prepare) }));
      await rename(tmp, file(name));
    },
  };
}
