import { randomUUID } from 'node:crypto';
import { createMemoryReadModel } from '../../src/readmodel/memory.js';
import { reloaded } from '../support/memory-contents.js';
import { readModelContract } from './read-model.contract.js';

readModelContract('memory', async () => ({ model: createMemoryReadModel() }));

// The same model after a start that loaded a snapshot: the contract's accounts are written over a base of others
// (live users, a tombstone, tokens), which its lookups, lists and uniqueness checks must see through or around.
readModelContract('memory, over a loaded snapshot', async () => {
  const model = createMemoryReadModel();
  for (let i = 0; i < 50; i++) {
    const id = randomUUID();
    const doc = {
      id,
      username: `Base_${i}`,
      usernameKey: `base_${i}`,
      email: `base${i}@example.com`,
      emailKey: `base${i}@example.com`,
      firstName: 'Ba',
      lastName: 'Se',
      profile: (i % 5 === 0 ? { nickname: `b${i}` } : {}) as Record<string, string>,
      isActive: i % 2 === 0,
      isStaff: false,
      isSuperuser: false,
      sessionEpoch: 0,
      revokedSessions: [],
      dateJoined: new Date(Date.UTC(2023, 0, 1) + i),
      lastLogin: null,
      revision: 0,
    };
    await model.insertUser(doc);
    if (i % 3 === 0) await model.setToken(id, 1, { keyHash: randomUUID().replaceAll('-', ''), created: new Date() });
    if (i === 7) await model.deleteUser(id, 2);
  }
  return { model: await reloaded(model) };
});

// A model that folds its maps into a new base every three slots: every contract step then runs over bases of
// several generations (rows added, rows superseded and marked dead, tables copied and rebuilt).
readModelContract('memory, folding its maps every few writes', async () => ({ model: createMemoryReadModel({ foldSlots: 3 }) }));
