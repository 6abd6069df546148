import { createMemoryReadModel } from '../../src/readmodel/memory.js';
import { readModelContract } from './read-model.contract.js';

readModelContract('memory', async () => ({ model: createMemoryReadModel() }));
