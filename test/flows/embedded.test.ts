import { accountFlowSuite } from './account-flow.js';

accountFlowSuite('the embedded default', async () => ({ env: {}, cleanup: async () => {} }));
