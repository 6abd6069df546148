// The HTTP flow with the EventStoreDB adapter: against the gRPC test server, and a real server when EVENTSTORE_URL is set.
import { accountFlowSuite } from './account-flow.js';
import { startEsdbTestServer } from '../support/esdb-server/index.js';
import { skipReason } from '../support/skip.js';

accountFlowSuite('EventStoreDB (gRPC test server)', async () => {
  const server = await startEsdbTestServer();
  return { env: { EVENTSTORE_URL: server.url }, cleanup: () => server.stop() };
});

accountFlowSuite(
  'EventStoreDB (real server)',
  async () => ({ env: { EVENTSTORE_URL: process.env.EVENTSTORE_URL! }, cleanup: async () => {} }),
  { skip: skipReason('EVENTSTORE_URL', 'account flow on a real EventStoreDB') },
);
