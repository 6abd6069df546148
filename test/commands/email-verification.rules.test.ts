// Email verification (dj-rest-auth's verify-email/): keys single use, stored hashed, expiring, bound to the address;
// what "verified" means for accounts from djoser.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { userEvent } from '../../src/events/user.events.js';
import { fold } from '../../src/commands/account.decider.js';
import { confirmationKeyOf, isEmailVerified } from '../../src/commands/email-verification.rules.js';
import { hashEmailConfirmationKey, readEmailConfirmationKey } from '../../src/crypto/email-key.js';
import type { Account } from '../../src/commands/account.state.js';
import { activated, at, earlier, given, linkFor, now, registered, secret, userId } from './given.js';

const DAY = 86_400;
const key = { secret, lifetimeSeconds: 3 * DAY };
const requestAt = (when: Date, source: 'signup' | 'resend' = 'signup') =>
  userEvent('EmailVerificationRequested', {
    userId,
    keyHash: confirmationKeyOf(secret, userId, when).keyHash,
    expires: new Date(when.getTime() + key.lifetimeSeconds * 1000).toISOString(),
    source,
    at: when.toISOString(),
  });
const requested = requestAt(now);
const keyHashNow = confirmationKeyOf(secret, userId, now).keyHash;
const verified = userEvent('EmailVerified', { userId, email: 'alice@example.com', method: 'key', at });
const emailChanged = userEvent('EmailChanged', {
  userId,
  email: 'new@example.com',
  previousEmail: 'alice@example.com',
  reason: 'profile',
  at,
});
const account = (events: Parameters<typeof fold>[0]) => fold(events) as Account;

describe('RequestEmailVerification', () => {
  it('records the hash of the key for the address (never the key)', () => {
    given([registered(true)])
      .when({ type: 'RequestEmailVerification', source: 'signup', key, window: 60 })
      .then([requested]);
    assert.notEqual(requested.data.keyHash, confirmationKeyOf(secret, userId, now).key);
  });
  it('refuses an address already verified, and an account with none', () => {
    given([registered(true), verified])
      .when({ type: 'RequestEmailVerification', source: 'resend', key, window: 60 })
      .thenRejects('not_found');
    const none = userEvent('UserRegistered', { ...(registered(true).data as object), email: '' } as never);
    given([none]).when({ type: 'RequestEmailVerification', source: 'signup', key, window: 60 }).thenRejects('not_found');
  });
  it('resend: active accounts only, at most once per window', () => {
    given([registered(false)])
      .when({ type: 'RequestEmailVerification', source: 'resend', key, window: 60 })
      .thenRejects('not_found');
    given([registered(true), requestAt(now, 'resend')])
      .when({ type: 'RequestEmailVerification', source: 'resend', key, window: 60 })
      .then([]);
    given([registered(true), requestAt(now)])
      .when({ type: 'RequestEmailVerification', source: 'resend', key, window: 60 })
      .then([requestAt(now, 'resend')]);
  });
});

describe('VerifyEmail', () => {
  it('a key of an unexpired request for the current address verifies it', () => {
    given([registered(true), requested])
      .when({ type: 'VerifyEmail', keyHash: keyHashNow })
      .then([verified]);
  });
  it('refuses a key it never sent', () => {
    given([registered(true), requested])
      .when({ type: 'VerifyEmail', keyHash: hashEmailConfirmationKey('nope') })
      .thenRejects('not_found');
  });
  it('refuses an expired key', () => {
    const old = new Date(now.getTime() - 4 * DAY * 1000);
    given([registered(true), requestAt(old)])
      .when({ type: 'VerifyEmail', keyHash: confirmationKeyOf(secret, userId, old).keyHash })
      .thenRejects('not_found');
  });
  it('verifying twice is refused, with any key sent before', () => {
    const earlierKey = new Date(now.getTime() - 1000);
    given([registered(true), requestAt(earlierKey), requested, verified])
      .when({ type: 'VerifyEmail', keyHash: confirmationKeyOf(secret, userId, earlierKey).keyHash })
      .thenRejects('not_found');
    given([registered(true), requested, verified])
      .when({ type: 'VerifyEmail', keyHash: keyHashNow })
      .thenRejects('not_found');
  });
  it('a key sent to the previous address does not verify the new one', () => {
    given([registered(true), requested, emailChanged])
      .when({ type: 'VerifyEmail', keyHash: keyHashNow })
      .thenRejects('not_found');
  });
});

describe('what "verified" means', () => {
  it('registered (djoser without activation, or dj-rest-auth): not verified', () => {
    assert.equal(isEmailVerified(account([registered(true)])), false);
  });
  it('a djoser activation proves the mailbox', () => {
    const history = [registered(false)];
    given(history)
      .when({ type: 'ActivateUser', link: linkFor(history, 'activation') })
      .then([
        userEvent('UserActivated', { userId, at }),
        userEvent('EmailVerified', { userId, email: 'alice@example.com', method: 'activation', at }),
      ]);
    assert.equal(
      isEmailVerified(
        account([
          ...history,
          activated,
          userEvent('EmailVerified', { userId, email: 'alice@example.com', method: 'activation', at: earlier }),
        ]),
      ),
      true,
    );
  });
  it('an email change unverifies; the same mailbox in another case does not', () => {
    assert.equal(isEmailVerified(account([registered(true), requested, verified, emailChanged])), false);
    const sameMailbox = userEvent('EmailChanged', {
      userId,
      email: 'ALICE@Example.com',
      previousEmail: 'alice@example.com',
      reason: 'profile',
      at,
    });
    assert.equal(isEmailVerified(account([registered(true), requested, verified, sameMailbox])), true);
  });
});

describe('LogIn under mandatory verification', () => {
  const lockout = { threshold: 10, seconds: 60, maxSeconds: 3600 };
  it('the right password of an unverified account is refused as unverified, not counted towards a lock', () => {
    given([registered(true)])
      .when({ type: 'LogIn', method: 'token', passwordMatched: true, lockout, recordLastLogin: false, requireVerifiedEmail: true })
      .then([userEvent('LoginFailed', { userId, method: 'token', reason: 'unverified', at })]);
  });
  it('a wrong password is a wrong password first', () => {
    given([registered(true)])
      .when({ type: 'LogIn', method: 'token', passwordMatched: false, lockout, recordLastLogin: false, requireVerifiedEmail: true })
      .then([userEvent('LoginFailed', { userId, method: 'token', reason: 'password', at })]);
  });
});

describe('confirmation keys', () => {
  it('say whose they are and when they were signed, and only with our MAC', () => {
    const { key: k } = confirmationKeyOf(secret, '2', now);
    assert.match(k, /^Mg:[0-9A-Za-z]+:[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(readEmailConfirmationKey(secret, k), { userId: '2', seconds: Math.floor(now.getTime() / 1000) });
    assert.equal(readEmailConfirmationKey('another-secret-that-is-long-enough!!', k), null);
    assert.equal(readEmailConfirmationKey(secret, `${k.slice(0, -1)}A`), null);
    assert.equal(readEmailConfirmationKey(secret, 'nope'), null);
    const uuidKey = confirmationKeyOf(secret, userId, now).key;
    assert.equal(readEmailConfirmationKey(secret, uuidKey)?.userId, userId);
  });
});
