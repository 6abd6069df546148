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

  it('forgets sessions past their expiry or revoked when a new one starts, and keeps the live ones as they are', () => {
    const started = (sessionId: string, startedAt: string, expires: string) =>
      userEvent('SessionStarted', { userId, sessionId, refreshJti: `r-${sessionId}`, expires, at: startedAt });
    const twoLive = fold([
      registered(true),
      started('s1', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
      started('s2', '2026-01-01T06:00:00.000Z', '2026-01-02T06:00:00.000Z'),
    ]);
    assert.ok('security' in twoLive, 'an account');
    assert.deepEqual([...twoLive.security.sessions.keys()], ['s1', 's2']);
    // At 03:00 the next day s1 has expired (at 00:00) and s2 has not (06:00).
    const later = evolve(twoLive, started('s3', '2026-01-02T03:00:00.000Z', '2026-01-03T03:00:00.000Z'));
    assert.ok('security' in later, 'an account');
    assert.deepEqual([...later.security.sessions.keys()], ['s2', 's3']);
    assert.equal(later.security.sessions.get('s2'), twoLive.security.sessions.get('s2'));
    // Exactly at its expiry a session is no longer live.
    const atExpiry = evolve(later, started('s4', '2026-01-02T06:00:00.000Z', '2026-01-03T06:00:00.000Z'));
    assert.ok('security' in atExpiry, 'an account');
    assert.deepEqual([...atExpiry.security.sessions.keys()], ['s3', 's4']);
    // A revoked session is kept (refused) until the next one starts, then forgotten: refused just the same.
    const revoked = evolve(
      atExpiry,
      userEvent('SessionRevoked', {
        userId,
        sessionId: 's3',
        reason: 'logout',
        expires: '2026-01-03T03:00:00.000Z',
        at: '2026-01-02T07:00:00.000Z',
      }),
    );
    assert.ok('security' in revoked, 'an account');
    assert.equal(revoked.security.sessions.get('s3')?.revoked, true);
    const next = evolve(revoked, started('s5', '2026-01-02T08:00:00.000Z', '2026-01-03T08:00:00.000Z'));
    assert.ok('security' in next, 'an account');
    assert.deepEqual([...next.security.sessions.keys()], ['s4', 's5']);
  });
});
