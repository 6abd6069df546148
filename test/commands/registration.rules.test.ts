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
  profile: {},
  passwordHash: HASH,
  isStaff: false,
  isSuperuser: false,
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

describe('ImportUser', () => {
  const dateJoined = new Date('2020-01-01T00:00:00.000Z');
  const imported = {
    type: 'ImportUser',
    userId: '42',
    username: 'alice',
    email: 'alice@example.com',
    firstName: 'Alice',
    lastName: '',
    profile: {},
    passwordHash: 'pbkdf2_sha256$260000$salt$hash',
    isActive: true,
    isStaff: true,
    isSuperuser: false,
    dateJoined,
    lastLogin: null,
  } as const;
  const event = userEvent('UserImported', {
    userId: '42',
    username: 'alice',
    email: 'alice@example.com',
    firstName: 'Alice',
    lastName: '',
    profile: {},
    passwordHash: 'pbkdf2_sha256$260000$salt$hash',
    isActive: true,
    isStaff: true,
    isSuperuser: false,
    dateJoined: dateJoined.toISOString(),
    lastLogin: null,
    source: 'django',
    at,
  });
  it('recreates the account as Django had it', () => {
    given([]).when(imported).then([event]);
  });
  it('brings its DRF token along, sealed', () => {
    const created = new Date('2021-02-03T04:05:06.000Z');
    given([])
      .when({ ...imported, token: { keyHash: 'kh', sealedKey: 'v1.a.b.c', created } })
      .then([
        event,
        userEvent('AuthTokenImported', { userId: '42', keyHash: 'kh', sealedKey: 'v1.a.b.c', created: created.toISOString(), at }),
      ]);
  });
  it('imports nothing twice', () => {
    given([event]).when(imported).thenRejects('already_exists');
  });
});
