import { describe, it } from 'node:test';
import { userEvent } from '../../src/events/user.events.js';
import { at, earlier, given, HASH, registered, userId } from './given.js';

const register = {
  type: 'RegisterUser',
  userId,
  username: 'alice',
  email: 'alice@example.com',
  firstName: '',
  lastName: '',
  passwordHash: HASH,
  requireActivation: false,
} as const;

describe('RegisterUser', () => {
  it('registers an active account when activation is off', () => {
    given([])
      .when(register)
      .then([registered(true, at)]);
  });
  it('registers an inactive account and requests the activation email when activation is on', () => {
    given([])
      .when({ ...register, requireActivation: true })
      .then([registered(false, at), userEvent('ActivationEmailRequested', { userId, at })]);
  });
  it('refuses a stream that already holds an account: the id is not ours, the use case starts over', () => {
    given([registered(true)])
      .when(register)
      .thenRejects('stale_facts');
  });
  it('refuses a voided stream (a late registration fenced out)', () => {
    given([userEvent('RegistrationVoided', { userId, at: earlier })])
      .when(register)
      .thenRejects('stale_facts');
  });
});

describe('VoidClaim', () => {
  it('voids a registration that never happened', () => {
    given([])
      .when({ type: 'VoidClaim', userId, field: 'username', key: 'bob' })
      .then([userEvent('RegistrationVoided', { userId, at })]);
  });
  it("voids an account's unfinished rename (changing nothing else)", () => {
    given([registered(true)])
      .when({ type: 'VoidClaim', userId, field: 'username', key: 'bob' })
      .then([userEvent('ClaimVoided', { userId, field: 'username', at })]);
  });
  it('refuses when the account holds the value after all (the change landed)', () => {
    given([registered(true)])
      .when({ type: 'VoidClaim', userId, field: 'username', key: 'alice' })
      .thenRejects('taken');
  });
  it('has nothing to void on a deleted account', () => {
    given([registered(true), userEvent('UserDeleted', { userId, at: earlier })])
      .when({ type: 'VoidClaim', userId, field: 'email', key: 'x@example.com' })
      .then([]);
  });
});
