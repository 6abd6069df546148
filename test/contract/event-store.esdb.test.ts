// The shared EventStore contract against the EventStoreDB adapter: over the real client and gRPC to the in-memory
// test server always, and to a real EventStoreDB when EVENTSTORE_URL names one.
import { openEsdbEventStore } from '../../src/store/esdb.js';
import { startEsdbTestServer } from '../support/esdb-server/index.js';
import { skipReason } from '../support/skip.js';
import { eventStoreContract } from './event-store.contract.js';

eventStoreContract('EventStoreDB adapter, in-memory gRPC test server', async () => {
  const server = await startEsdbTestServer();
  return { store: await openEsdbEventStore(server.url), cleanup: () => server.stop() };
});

const skip = skipReason('EVENTSTORE_URL', 'EventStore contract against a real EventStoreDB');
eventStoreContract(
  'EventStoreDB adapter, real server at EVENTSTORE_URL',
  async () => ({ store: await openEsdbEventStore(process.env['EVENTSTORE_URL'] ?? '') }),
  { skip },
);
