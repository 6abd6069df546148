// The HTTP flow with the MongoDB read model: against the wire-protocol test server, and a real mongod when
// MONGODB_URI is set; and with both production adapters together.
import { accountFlowSuite } from './account-flow.js';
import { startMongoTestServer } from '../support/mongo-server.js';
import { startEsdbTestServer } from '../support/esdb-server/index.js';
import { skipReason } from '../support/skip.js';

accountFlowSuite('MongoDB (wire test server)', async () => {
  const server = await startMongoTestServer();
  return { env: { MONGODB_URI: server.uri }, cleanup: () => server.stop() };
});

accountFlowSuite('EventStoreDB + MongoDB (test servers)', async () => {
  const [esdb, mongo] = await Promise.all([startEsdbTestServer(), startMongoTestServer()]);
  return {
    env: { EVENTSTORE_URL: esdb.url, MONGODB_URI: mongo.uri },
    cleanup: async () => {
      await mongo.stop();
      await esdb.stop();
    },
  };
});

accountFlowSuite('MongoDB (real mongod)', async () => ({ env: { MONGODB_URI: process.env.MONGODB_URI! }, cleanup: async () => {} }), {
  skip: skipReason('MONGODB_URI', 'account flow on a real MongoDB'),
});
