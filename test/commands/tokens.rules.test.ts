import { describe, it } from 'node:test';
import { userEvent } from '../../src/events/user.events.js';
import { at, given, registered, tokenCreated, userId } from './given.js';

const login = { type: 'LogIn', passwordMatched: true, recordLastLogin: true } as const;
const newToken = { tokenId: 't2', keyHash: 'h2' };

describe('LogIn', () => {
  it('records a login of an active account whose password matched', () => {
    given([registered(true)])
      .when(login)
      .then([userEvent('UserLoggedIn', { userId, at })]);
  });
  it('refuses a wrong password', () => {
    given([registered(true)])
      .when({ ...login, passwordMatched: false })
      .thenRejects('invalid_credentials');
  });
  it('refuses an inactive account even with the right password', () => {
    given([registered(false)])
      .when(login)
      .thenRejects('invalid_credentials');
  });
  it('refuses a deleted account', () => {
    given([registered(true), userEvent('UserDeleted', { userId, at })])
      .when(login)
      .thenRejects('invalid_credentials');
  });
  it('creates the one DRF token when there is none', () => {
    given([registered(true)])
      .when({ ...login, newToken })
      .then([userEvent('AuthTokenCreated', { userId, ...newToken, at }), userEvent('UserLoggedIn', { userId, at })]);
  });
  it('keeps the existing token (get_or_create)', () => {
    given([registered(true), tokenCreated])
      .when({ ...login, newToken })
      .then([userEvent('UserLoggedIn', { userId, at })]);
  });
  it('a JWT login without UPDATE_LAST_LOGIN records nothing', () => {
    given([registered(true)])
      .when({ ...login, recordLastLogin: false })
      .then([]);
  });
});

describe('LogIn: imported accounts', () => {
  it('rehashes a matched Django hash to argon2id', () => {
    given([registered(true)])
      .when({ ...login, rehash: '$argon2id$new' })
      .then([userEvent('PasswordRehashed', { userId, passwordHash: '$argon2id$new', at }), userEvent('UserLoggedIn', { userId, at })]);
  });
  it('replaces a token whose key can no longer be handed out (SECRET_KEY changed)', () => {
    given([registered(true), tokenCreated])
      .when({ ...login, newToken: { ...newToken, replaces: 'h1' } })
      .then([
        userEvent('AuthTokenDestroyed', { userId, at }),
        userEvent('AuthTokenCreated', { userId, ...newToken, at }),
        userEvent('UserLoggedIn', { userId, at }),
      ]);
  });
  it('keeps a token that changed meanwhile (replaces names another one)', () => {
    given([registered(true), tokenCreated])
      .when({ ...login, newToken: { ...newToken, replaces: 'other' } })
      .then([userEvent('UserLoggedIn', { userId, at })]);
  });
});

describe('LogOut', () => {
  it('destroys the token', () => {
    given([registered(true), tokenCreated])
      .when({ type: 'LogOut' })
      .then([userEvent('AuthTokenDestroyed', { userId, at })]);
  });
  it('without a token decides nothing', () => {
    given([registered(true)])
      .when({ type: 'LogOut' })
      .then([]);
  });
});
