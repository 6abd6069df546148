// Picks the adapters for the two ports from the configuration: the embedded ones when nothing is set.
import path from 'node:path';
import type { Config } from './config.js';
import type { EventStore } from './store/port.js';
import type { ReadModel } from './readmodel/port.js';
import { openEmbeddedEventStore } from './store/embedded.js';
import { openEsdbEventStore } from './store/esdb.js';
import { createMemoryReadModel } from './readmodel/memory.js';
import { openMongoReadModel } from './readmodel/mongo.js';

export const openEventStore = (config: Config): Promise<EventStore> =>
  config.EVENTSTORE_URL ? openEsdbEventStore(config.EVENTSTORE_URL) : openEmbeddedEventStore(path.join(config.DATA_DIR, 'events'));

export const openReadModel = async (config: Config): Promise<ReadModel> =>
  config.MONGODB_URI
    ? openMongoReadModel(config.MONGODB_URI, { dbName: config.MONGODB_DB, emailUnique: config.EMAIL_UNIQUE })
    : createMemoryReadModel();
