import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evolve, fold } from '../../src/commands/account.decider.js';
import { initialState } from '../../src/commands/account.state.js';
import { userEventTypes } from '../../src/events/user.events.js';
import { activated, earlier, registered, userId } from './given.js';
import { userEvent } from '../../src/events/user.events.js';

describe('evolve', () => {
  it('folds the history into the account state', () => {
    const state = fold([
      registered(false),
      activated,
      userEvent('UserProfileUpdated', { userId, email: 'b@example.com', at: earlier }),
      userEvent('UserLoggedIn', { userId, at: earlier }),
      userEvent('PasswordChanged', { userId, passwordHash: 'h9', reason: 'set', at: earlier }),
    ]);
    assert.equal(state.status, 'active');
    assert.ok('email' in state, 'an account');
    assert.equal(state.email, 'b@example.com');
    assert.equal(state.lastLogin, earlier);
    assert.equal(state.passwordHash, 'h9');
  });

  it('has a fold step for every event type', () => {
    // Steps read their data only for live accounts (registration aside), so an empty event shows whether one exists.
    for (const type of userEventTypes) assert.doesNotThrow(() => evolve(initialState(), { type, data: {} } as never), type);
  });
});
