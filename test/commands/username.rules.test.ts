import { describe, it } from 'node:test';
import { userEvent } from '../../src/events/user.events.js';
import { at, badLink, earlier, given, HASH, linkFor, registered, userId } from './given.js';

describe('SetUsername', () => {
  it('sets a new username', () => {
    given([registered(true)])
      .when({ type: 'SetUsername', username: 'alicia', verifiedHash: HASH, claimsVoidedBefore: 0 })
      .then([userEvent('UsernameChanged', { userId, username: 'alicia', reason: 'set', at })]);
  });
  it('decides nothing for the same name', () => {
    given([registered(true)])
      .when({ type: 'SetUsername', username: 'alice', verifiedHash: HASH, claimsVoidedBefore: 0 })
      .then([]);
  });
  it('refuses when the password changed since it was verified', () => {
    given([registered(true), userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'set', at: earlier })])
      .when({ type: 'SetUsername', username: 'alicia', verifiedHash: HASH, claimsVoidedBefore: 0 })
      .thenRejects('invalid_password');
  });
  it('refuses when its claim on the name was fenced out since', () => {
    given([registered(true), userEvent('ClaimVoided', { userId, field: 'username', at: earlier })])
      .when({ type: 'SetUsername', username: 'alicia', verifiedHash: HASH, claimsVoidedBefore: 0 })
      .thenRejects('stale_facts');
  });
});

describe('RequestUsernameReset', () => {
  it('requests a username reset for an active account', () => {
    given([registered(true)])
      .when({ type: 'RequestUsernameReset' })
      .then([userEvent('UsernameResetRequested', { userId, at })]);
  });
  it('refuses an inactive account as not eligible', () => {
    given([registered(false)])
      .when({ type: 'RequestUsernameReset' })
      .thenRejects('not_found');
  });
});

describe('ResetUsername', () => {
  it('resets the username with a valid link', () => {
    const history = [registered(true)];
    given(history)
      .when({ type: 'ResetUsername', link: linkFor(history, 'username_reset'), username: 'alicia', claimsVoidedBefore: 0 })
      .then([userEvent('UsernameChanged', { userId, username: 'alicia', reason: 'reset', at }), userEvent('UserLoggedIn', { userId, at })]);
  });
  it('rejects a bad link', () => {
    given([registered(true)])
      .when({ type: 'ResetUsername', link: badLink, username: 'alicia', claimsVoidedBefore: 0 })
      .thenRejects('invalid_token');
  });
});
