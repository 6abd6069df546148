import { describe, it } from 'node:test';
import { userEvent } from '../../src/events/user.events.js';
import { at, earlier, given, registered, userId } from './given.js';

describe('UpdateProfile', () => {
  it("changes the model's own fields, recording only those that changed", () => {
    const withName = [registered(true), userEvent('UserProfileUpdated', { userId, profile: { name: 'Alice', phone: '1' }, at: earlier })];
    given(withName)
      .when({ type: 'UpdateProfile', profile: { name: 'Alice L.', phone: '1' }, requireActivation: false })
      .then([userEvent('UserProfileUpdated', { userId, profile: { name: 'Alice L.' }, at })]);
  });
  it('records only what changed', () => {
    given([registered(true)])
      .when({ type: 'UpdateProfile', email: 'alice@example.com', firstName: 'Alice', requireActivation: false })
      .then([userEvent('UserProfileUpdated', { userId, firstName: 'Alice', at })]);
  });
  it('decides nothing when nothing changed', () => {
    given([registered(true)])
      .when({ type: 'UpdateProfile', email: 'alice@example.com', requireActivation: true })
      .then([]);
  });
  it('with activation on, an email change deactivates and requests activation of the new address', () => {
    given([registered(true)])
      .when({ type: 'UpdateProfile', email: 'new@example.com', requireActivation: true })
      .then([
        userEvent('EmailChanged', { userId, email: 'new@example.com', previousEmail: 'alice@example.com', reason: 'profile', at }),
        userEvent('UserDeactivated', { userId, reason: 'email_changed', at }),
        userEvent('ActivationEmailRequested', { userId, at }),
      ]);
  });
  it('with activation off, an email change is just a change', () => {
    given([registered(true)])
      .when({ type: 'UpdateProfile', email: 'new@example.com', requireActivation: false })
      .then([userEvent('EmailChanged', { userId, email: 'new@example.com', previousEmail: 'alice@example.com', reason: 'profile', at })]);
  });
  it('a unique email whose claim was fenced out since does not land', () => {
    given([registered(true), userEvent('ClaimVoided', { userId, field: 'email', at: earlier })])
      .when({ type: 'UpdateProfile', email: 'new@example.com', requireActivation: false, claimsVoidedBefore: 0 })
      .thenRejects('stale_facts');
  });
});
