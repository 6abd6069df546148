import { describe, it } from 'node:test';
import { userEvent } from '../../src/events/user.events.js';
import { activated, at, badLink, given, linkFor, now, registered, secret, userId } from './given.js';

describe('ActivateUser', () => {
  it('activates an inactive account with a valid token; the link proves the mailbox: the address is verified', () => {
    const history = [registered(false)];
    given(history)
      .when({ type: 'ActivateUser', link: linkFor(history, 'activation') })
      .then([
        userEvent('UserActivated', { userId, at }),
        userEvent('EmailVerified', { userId, email: 'alice@example.com', method: 'activation', at }),
      ]);
  });
  it('rejects a bad token', () => {
    given([registered(false)])
      .when({ type: 'ActivateUser', link: badLink })
      .thenRejects('invalid_token');
  });
  it('rejects an expired token', () => {
    const history = [registered(false)];
    const link = linkFor(history, 'activation', Math.floor(now.getTime() / 1000) - 3601);
    given(history).when({ type: 'ActivateUser', link }).thenRejects('invalid_token');
  });
  it('rejects a token made for another purpose', () => {
    const history = [registered(false)];
    given(history)
      .when({ type: 'ActivateUser', link: linkFor(history, 'password_reset') })
      .thenRejects('invalid_token');
  });
  it('calls a valid token of an active account stale (djoser: 403)', () => {
    const history = [registered(false)];
    const link = linkFor(history, 'activation');
    given([...history, activated])
      .when({ type: 'ActivateUser', link })
      .thenRejects('stale_token');
  });
  it('rejects an unknown account', () => {
    given([])
      .when({ type: 'ActivateUser', link: { token: 'x', secret, timeoutSeconds: 1 } })
      .thenRejects('not_found');
  });
});

describe('RequestActivationEmail', () => {
  it('a flood inside the window decides nothing after the first (appends nothing, sends nothing)', () => {
    const first = userEvent('ActivationEmailRequested', { userId, source: 'resend', at });
    given([registered(false), first])
      .when({ type: 'RequestActivationEmail', window: 60 })
      .then([]);
    given([registered(false), first])
      .when({ type: 'RequestActivationEmail', window: 0 })
      .then([userEvent('ActivationEmailRequested', { userId, source: 'resend', at })]);
  });
  it("registration's own activation email does not count towards the window", () => {
    given([registered(false), userEvent('ActivationEmailRequested', { userId, at })])
      .when({ type: 'RequestActivationEmail', window: 60 })
      .then([userEvent('ActivationEmailRequested', { userId, source: 'resend', at })]);
  });
  it('requests an email for an inactive account', () => {
    given([registered(false)])
      .when({ type: 'RequestActivationEmail', window: 60 })
      .then([userEvent('ActivationEmailRequested', { userId, source: 'resend', at })]);
  });
  it('refuses an active account as not eligible (djoser 2.3: 204, no email)', () => {
    given([registered(true)])
      .when({ type: 'RequestActivationEmail', window: 60 })
      .thenRejects('not_found');
  });
});
