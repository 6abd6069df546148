import { describe, it } from 'node:test';
import { userEvent } from '../../src/events/user.events.js';
import { at, badLink, earlier, given, HASH, linkFor, registered, tokenCreated, userId } from './given.js';

describe('SetPassword', () => {
  it('sets a password, keeping the token unless logout is asked', () => {
    given([registered(true), tokenCreated])
      .when({ type: 'SetPassword', verifiedHash: HASH, passwordHash: 'h2', logout: false })
      .then([userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'set', at })]);
  });
  it('LOGOUT_ON_PASSWORD_CHANGE destroys the token and ends every JWT session', () => {
    given([registered(true), tokenCreated])
      .when({ type: 'SetPassword', verifiedHash: HASH, passwordHash: 'h2', logout: true })
      .then([
        userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'set', at }),
        userEvent('AuthTokenDestroyed', { userId, at }),
        userEvent('AllSessionsRevoked', { userId, reason: 'password_set', epoch: 1, at }),
      ]);
  });
  it('ends every other live JWT session, keeping the one the change was made in', () => {
    const session = (sessionId: string, expires: string) =>
      userEvent('SessionStarted', { userId, sessionId, refreshJti: `r-${sessionId}`, expires, at: earlier });
    const future = '2026-02-01T00:00:00.000Z';
    given([
      registered(true),
      session('mine', future),
      session('other', future),
      session('expired', earlier),
      session('ended', future),
      userEvent('SessionRevoked', { userId, sessionId: 'ended', reason: 'logout', expires: future, at: earlier }),
    ])
      .when({ type: 'SetPassword', verifiedHash: HASH, passwordHash: 'h2', logout: false, keepSession: 'mine' })
      .then([
        userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'set', at }),
        userEvent('SessionRevoked', { userId, sessionId: 'other', reason: 'password_set', expires: future, at }),
      ]);
  });
  it("refuses when the password the use case verified is no longer the account's", () => {
    given([registered(true), userEvent('PasswordChanged', { userId, passwordHash: 'other', reason: 'reset', at: earlier })])
      .when({ type: 'SetPassword', verifiedHash: HASH, passwordHash: 'h2', logout: false })
      .thenRejects('invalid_password');
  });
});

describe('RequestPasswordReset', () => {
  it('a flood inside the window decides nothing after the first', () => {
    given([registered(true), userEvent('PasswordResetRequested', { userId, at: earlier })])
      .when({ type: 'RequestPasswordReset', window: 86_400 * 2 })
      .then([]);
    given([registered(true), userEvent('PasswordResetRequested', { userId, at: earlier })])
      .when({ type: 'RequestPasswordReset', window: 60 })
      .then([userEvent('PasswordResetRequested', { userId, at })]);
  });
  it('requests a reset for an active account with a usable password', () => {
    given([registered(true)])
      .when({ type: 'RequestPasswordReset', window: 60 })
      .then([userEvent('PasswordResetRequested', { userId, at })]);
  });
  it('refuses an inactive account as not eligible', () => {
    given([registered(false)])
      .when({ type: 'RequestPasswordReset', window: 60 })
      .thenRejects('not_found');
  });
  it('refuses an account with an unusable password as not eligible', () => {
    const unusable = userEvent('UserRegistered', {
      userId,
      username: 'u',
      email: 'u@example.com',
      firstName: '',
      lastName: '',
      profile: {},
      passwordHash: null,
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      at: earlier,
    });
    given([unusable]).when({ type: 'RequestPasswordReset', window: 60 }).thenRejects('not_found');
  });
});

describe('ResetPassword', () => {
  it('resets with a valid link, stamping last_login so the link is single-use, and ends every JWT session', () => {
    const history = [registered(true)];
    const link = linkFor(history, 'password_reset');
    const events = [
      userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'reset', at }),
      userEvent('UserLoggedIn', { userId, at }),
      userEvent('AllSessionsRevoked', { userId, reason: 'password_reset', epoch: 1, at }),
    ];
    given(history).when({ type: 'ResetPassword', link, passwordHash: 'h2', logout: false }).then(events);
    given([...history, ...events])
      .when({ type: 'ResetPassword', link, passwordHash: 'h3', logout: false })
      .thenRejects('invalid_token');
  });
  it('rejects a bad link', () => {
    given([registered(true)])
      .when({ type: 'ResetPassword', link: badLink, passwordHash: 'h2', logout: false })
      .thenRejects('invalid_token');
  });
  it('rejects an activation link (a link serves one purpose)', () => {
    const history = [registered(true)];
    given(history)
      .when({ type: 'ResetPassword', link: linkFor(history, 'activation'), passwordHash: 'h2', logout: false })
      .thenRejects('invalid_token');
  });
  it('a login since the email was sent kills the reset link', () => {
    const history = [registered(true)];
    const link = linkFor(history, 'password_reset');
    given([...history, userEvent('UserLoggedIn', { userId, at: earlier })])
      .when({ type: 'ResetPassword', link, passwordHash: 'h2', logout: false })
      .thenRejects('invalid_token');
  });
  it('LOGOUT_ON_PASSWORD_CHANGE logs out on a reset too', () => {
    const history = [registered(true), tokenCreated];
    given(history)
      .when({ type: 'ResetPassword', link: linkFor(history, 'password_reset'), passwordHash: 'h2', logout: true })
      .then([
        userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'reset', at }),
        userEvent('UserLoggedIn', { userId, at }),
        userEvent('AuthTokenDestroyed', { userId, at }),
        userEvent('AllSessionsRevoked', { userId, reason: 'password_reset', epoch: 1, at }),
      ]);
  });
});
