import { describe, it } from 'node:test';
import { userEvent } from '../../src/events/user.events.js';
import { at, given, registered, userId } from './given.js';

const staff = { id: '99', isSuperuser: false };
const superuser = { id: '98', isSuperuser: true };
const superAccount = userEvent('UserRegistered', {
  userId,
  username: 'root',
  email: '',
  firstName: '',
  lastName: '',
  profile: {},
  passwordHash: null,
  isActive: true,
  isStaff: true,
  isSuperuser: true,
  at,
});

describe('DeactivateUser', () => {
  it('staff deactivate an active account', () => {
    given([registered(true)])
      .when({ type: 'DeactivateUser', actor: staff })
      .then([
        userEvent('UserDeactivated', { userId, reason: 'staff', at }),
        userEvent('AllSessionsRevoked', { userId, reason: 'deactivated', epoch: 1, at }),
      ]);
  });
  it('decides nothing for an account already inactive', () => {
    given([registered(false)])
      .when({ type: 'DeactivateUser', actor: staff })
      .then([]);
  });
  it('refuses staff deactivating themselves', () => {
    given([registered(true)])
      .when({ type: 'DeactivateUser', actor: { id: userId, isSuperuser: true } })
      .thenRejects('forbidden');
  });
  it('only a superuser may deactivate a superuser', () => {
    given([superAccount]).when({ type: 'DeactivateUser', actor: staff }).thenRejects('forbidden');
    given([superAccount])
      .when({ type: 'DeactivateUser', actor: superuser })
      .then([
        userEvent('UserDeactivated', { userId, reason: 'staff', at }),
        userEvent('AllSessionsRevoked', { userId, reason: 'deactivated', epoch: 1, at }),
      ]);
  });
});

describe('ReactivateUser', () => {
  it('staff reactivate an inactive account', () => {
    given([registered(false)])
      .when({ type: 'ReactivateUser', actor: staff })
      .then([userEvent('UserActivated', { userId, at })]);
  });
  it('decides nothing for an active account', () => {
    given([registered(true)])
      .when({ type: 'ReactivateUser', actor: staff })
      .then([]);
  });
});

describe('UnlockAccount', () => {
  const locked = userEvent('AccountLocked', { userId, until: '2099-01-01T00:00:00.000Z', failures: 10, at });
  it('staff lift a lock', () => {
    given([registered(true), locked])
      .when({ type: 'UnlockAccount', actor: staff })
      .then([userEvent('AccountUnlocked', { userId, at })]);
  });
  it('decides nothing for an account neither locked nor failing', () => {
    given([registered(true)])
      .when({ type: 'UnlockAccount', actor: staff })
      .then([]);
  });
});
