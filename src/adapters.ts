// Picks the adapters for the two ports from the configuration: the embedded ones when nothing is set. The server
// adapters are imported only when configured: their drivers (gRPC, MongoDB) take a few hundred ms to load, which the
// embedded default's start-up need not pay.
import path from 'node:path';
import type { Config } from './config.js';
import type { EventStore } from './store/port.js';
import type { ReadModel } from './readmodel/port.js';
import { openEmbeddedEventStore } from './store/embedded.js';
import { createMemoryReadModel } from './readmodel/memory.js';

export const openEventStore = (config: Config): Promise<EventStore> =>
  config.EVENTSTORE_URL
    ? import('./store/esdb.js').then(({ openEsdbEventStore }) => openEsdbEventStore(config.EVENTSTORE_URL!))
    : openEmbeddedEventStore(path.join(config.DATA_DIR, 'events'));

export const openReadModel = async (config: Config): Promise<ReadModel> =>
  config.MONGODB_URI
    ? (await import('./readmodel/mongo.js')).openMongoReadModel(config.MONGODB_URI, {
        dbName: config.MONGODB_DB,
        emailUnique: config.EMAIL_UNIQUE,
      })
    : createMemoryReadModel();
