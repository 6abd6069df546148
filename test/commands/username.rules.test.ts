import { describe, it } from 'node:test';
import { userEvent } from '../../src/events/user.events.js';
import { at, badLink, earlier, given, HASH, linkFor, registered, userId } from './given.js';

describe('SetLoginName (username)', () => {
  it('sets a new username', () => {
    given([registered(true)])
      .when({ type: 'SetLoginName', field: 'username', value: 'alicia', verifiedHash: HASH, claimsVoidedBefore: 0 })
      .then([userEvent('UsernameChanged', { userId, username: 'alicia', reason: 'set', at })]);
  });
  it('decides nothing for the same name', () => {
    given([registered(true)])
      .when({ type: 'SetLoginName', field: 'username', value: 'alice', verifiedHash: HASH, claimsVoidedBefore: 0 })
      .then([]);
  });
  it('refuses when the password changed since it was verified', () => {
    given([registered(true), userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'set', at: earlier })])
      .when({ type: 'SetLoginName', field: 'username', value: 'alicia', verifiedHash: HASH, claimsVoidedBefore: 0 })
      .thenRejects('invalid_password');
  });
  it('refuses when its claim on the name was fenced out since', () => {
    given([registered(true), userEvent('ClaimVoided', { userId, field: 'username', at: earlier })])
      .when({ type: 'SetLoginName', field: 'username', value: 'alicia', verifiedHash: HASH, claimsVoidedBefore: 0 })
      .thenRejects('stale_facts');
  });
});

describe('RequestUsernameReset', () => {
  it('requests a username reset for an active account', () => {
    given([registered(true)])
      .when({ type: 'RequestUsernameReset', window: 60 })
      .then([userEvent('UsernameResetRequested', { userId, at })]);
  });
  it('refuses an inactive account as not eligible', () => {
    given([registered(false)])
      .when({ type: 'RequestUsernameReset', window: 60 })
      .thenRejects('not_found');
  });
});

describe('ResetLoginName (username)', () => {
  it('resets the username with a valid link', () => {
    const history = [registered(true)];
    given(history)
      .when({ type: 'ResetLoginName', field: 'username', link: linkFor(history, 'username_reset'), value: 'alicia', claimsVoidedBefore: 0 })
      .then([userEvent('UsernameChanged', { userId, username: 'alicia', reason: 'reset', at }), userEvent('UserLoggedIn', { userId, at })]);
  });
  it('rejects a bad link', () => {
    given([registered(true)])
      .when({ type: 'ResetLoginName', field: 'username', link: badLink, value: 'alicia', claimsVoidedBefore: 0 })
      .thenRejects('invalid_token');
  });
});

describe('SetLoginName (email: the email user model)', () => {
  it('changes the email, telling the previous one', () => {
    given([registered(true)])
      .when({ type: 'SetLoginName', field: 'email', value: 'new@example.com', verifiedHash: HASH, claimsVoidedBefore: 0 })
      .then([userEvent('EmailChanged', { userId, email: 'new@example.com', previousEmail: 'alice@example.com', reason: 'set', at })]);
  });
});
