// Where `authstream rebuild` replays the log into, beside a running service, and how the result is put in place:
//
// - MongoDB: a new version of the read model, in collections of its own (users_rebuild_<time>, auth_tokens_…, its
//   checkpoint read-model@rebuild_<time>); once built, one atomic update of the read_model_version document points
//   every instance at it (mongo.ts), and each instance moves over once it has brought it up to its own projection
//   (read-model-switch.ts). The running service never reads a half-built model. The version it replaces is kept, for
//   going back, and dropped by the next rebuild with any older one.
// - In memory (the embedded default): a new model, written as DATA_DIR/read-model.rebuilt.snapshot, which the service
//   loads at its next start (instead of its own snapshot; once), then replays the log after it.
import path from 'node:path';
import type { Config } from '../config.js';
import { ensurePrivateDir } from '../data-dir.js';
import type { Logger } from '../log.js';
import { createMemoryReadModel } from '../readmodel/memory.js';
import { newVersionName, openMongoReadModel, versionCollections } from '../readmodel/mongo.js';
import { READ_MODEL_CHECKPOINT, type ReadModel } from '../readmodel/port.js';
import { projectionFingerprint, REBUILT_SNAPSHOT_FILE, writeReadModelSnapshot } from '../readmodel/snapshot.js';
import { readEmbeddedLogId } from '../store/embedded.js';
import { comparePositions, type EventStore } from '../store/port.js';

export interface RebuildTarget {
  /** The empty model the log is replayed into. */
  readonly model: ReadModel;
  /** What is being built, for the log: `MongoDB read model version rebuild_…`, `a new in-memory read model`. */
  readonly description: string;
  /** Puts the built model in place (the switch, the snapshot file); says what it did. */
  finish(): Promise<string>;
  close(): Promise<void>;
}

export async function openRebuildTarget(config: Config, store: EventStore, log: Logger): Promise<RebuildTarget> {
  return config.MONGODB_URI ? mongoTarget(config, config.MONGODB_URI, log) : memoryTarget(config, store);
}

async function mongoTarget(config: Config, uri: string, log: Logger): Promise<RebuildTarget> {
  const current = await openMongoReadModel(uri, { dbName: config.MONGODB_DB, emailUnique: config.EMAIL_UNIQUE });
  try {
    // Older versions than the one in use go now: the one in use stays until the next rebuild (for going back).
    for (const version of await current.versions()) {
      if (version === current.version) continue;
      log.info(`rebuild: dropping the unused read model version '${version}'`, { collections: versionCollections(version) });
      await current.dropVersion(version);
    }
    const version = newVersionName();
    const next = await current.openVersion(version);
    const names = versionCollections(version);
    return {
      model: next,
      description: `MongoDB read model version '${version}' (collections ${names.users}, ${names.tokens})`,
      async finish() {
        const previous = await next.makeCurrent();
        return (
          `switched the read model from version '${previous}' to '${version}' (${names.users}, ${names.tokens}); ` +
          `running API instances move over within a few seconds, once each has brought it up to its own projection; ` +
          `version '${previous}' is kept until the next rebuild`
        );
      },
      close: () => current.close(),
    };
  } catch (error) {
    await current.close();
    throw error;
  }
}

async function memoryTarget(config: Config, store: EventStore): Promise<RebuildTarget> {
  const model = createMemoryReadModel();
  const file = path.join(config.DATA_DIR, REBUILT_SNAPSHOT_FILE);
  return {
    model,
    description: 'a new in-memory read model',
    async finish() {
      const state = model.capture();
      const at = state.checkpoints.find(([name]) => name === READ_MODEL_CHECKPOINT)?.[1];
      if (!at) return 'the log holds no events: no snapshot written';
      let eventId: string | undefined;
      for await (const event of store.readAll({ fromPosition: at, maxCount: 1 })) {
        if (comparePositions(event.position, at) === 0) eventId = event.id;
      }
      if (eventId === undefined) throw new Error(`the log has no event at the rebuilt model's checkpoint ${String(at.commit)}`);
      await ensurePrivateDir(config.DATA_DIR);
      const written = await writeReadModelSnapshot(file, state, {
        fingerprint: await projectionFingerprint(),
        logId: config.EVENTSTORE_URL ? null : await readEmbeddedLogId(path.join(config.DATA_DIR, 'events')),
        eventId,
        position: at,
        source: 'rebuild',
      });
      return (
        `wrote ${file} (${written.users} users, ${written.tokens} tokens, up to position ${String(at.commit)}, ` +
        `${(written.bytes / 2 ** 20).toFixed(1)} MiB); the service loads it at its next start, instead of its own snapshot`
      );
    },
    close: async () => undefined,
  };
}
