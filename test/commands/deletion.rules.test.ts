import { describe, it } from 'node:test';
import { userEvent } from '../../src/events/user.events.js';
import { at, earlier, given, HASH, registered, userId } from './given.js';

describe('DeleteUser', () => {
  it('deletes an account with its verified password', () => {
    given([registered(true)])
      .when({ type: 'DeleteUser', authority: { kind: 'own', verifiedHash: HASH } })
      .then([userEvent('UserDeleted', { userId, at })]);
  });
  it('refuses when the password changed since it was verified', () => {
    given([registered(true), userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'set', at: earlier })])
      .when({ type: 'DeleteUser', authority: { kind: 'own', verifiedHash: HASH } })
      .thenRejects('invalid_password');
  });
  it('rejects a deleted account', () => {
    given([registered(true), userEvent('UserDeleted', { userId, at: earlier })])
      .when({ type: 'DeleteUser', authority: { kind: 'own', verifiedHash: HASH } })
      .thenRejects('not_found');
  });
});

describe('RecordErasure', () => {
  it('records that a deleted account was erased', () => {
    given([registered(true), userEvent('UserDeleted', { userId, at: earlier })])
      .when({ type: 'RecordErasure' })
      .then([userEvent('UserErased', { userId, at })]);
  });
  it('records it once: erasing again decides nothing', () => {
    given([registered(true), userEvent('UserDeleted', { userId, at: earlier }), userEvent('UserErased', { userId, at: earlier })])
      .when({ type: 'RecordErasure' })
      .then([]);
  });
  it('refuses a live account: it must be deleted first', () => {
    given([registered(true)])
      .when({ type: 'RecordErasure' })
      .thenRejects('forbidden');
  });
  it('knows no account that never existed', () => {
    given([]).when({ type: 'RecordErasure' }).thenRejects('not_found');
  });
});
