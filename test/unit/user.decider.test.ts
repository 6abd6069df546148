// Given (events) / When (command) / Then (events or a rule error): the account decider, pure, no store, no clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, fold, UserRuleError, type Timed, type UserCommand } from '../../src/commands/user.decider.js';
import { userEvent, type UserEvent } from '../../src/events/user.events.js';
import { makeLinkToken, type LinkPurpose } from '../../src/crypto/link-token.js';

const now = new Date('2026-01-02T03:04:05.000Z');
const at = now.toISOString();
const earlier = '2026-01-01T00:00:00.000Z';
const userId = '6f1d3c3e-8d7a-4f51-9a51-1f3f5e0a0b01';
const secret = 'a-test-secret-that-is-long-enough-123';

const registered = (isActive: boolean, when = earlier): UserEvent =>
  userEvent('UserRegistered', {
    userId,
    username: 'alice',
    email: 'alice@example.com',
    firstName: '',
    lastName: '',
    passwordHash: '$argon2id$hash-1',
    isActive,
    at: when,
  });
const activated = userEvent('UserActivated', { userId, at: earlier });

function given(events: UserEvent[]) {
  const state = fold(events);
  return {
    when(command: UserCommand) {
      const run = () => decide({ ...command, now } as Timed<UserCommand>, state);
      return {
        then: (expected: UserEvent[]) => assert.deepEqual(run(), expected),
        thenRejects: (code: UserRuleError['code']) =>
          assert.throws(run, (e: unknown) => e instanceof UserRuleError && e.code === code),
      };
    },
  };
}

/** A link token made from the state the events leave. */
function linkFor(events: UserEvent[], purpose: LinkPurpose, nowSeconds = Math.floor(now.getTime() / 1000)) {
  const state = fold(events);
  if (!('passwordHash' in state)) throw new Error('no account');
  const token = makeLinkToken({
    secret,
    purpose,
    user: { id: state.id, passwordHash: state.passwordHash, lastLogin: state.lastLogin, email: state.email },
    nowSeconds,
  });
  return { token, secret, timeoutSeconds: 3600 };
}

const register: UserCommand = {
  type: 'RegisterUser',
  userId,
  username: 'alice',
  email: 'alice@example.com',
  firstName: '',
  lastName: '',
  passwordHash: '$argon2id$hash-1',
  requireActivation: false,
};

describe('RegisterUser', () => {
  it('registers an active account when activation is off', () => {
    given([]).when(register).then([registered(true, at)]);
  });
  it('registers an inactive account and requests the activation email when activation is on', () => {
    given([])
      .when({ ...register, requireActivation: true })
      .then([
        registered(false, at),
        userEvent('ActivationEmailRequested', { userId, at }),
      ]);
  });
  it('rejects a second registration on the same stream', () => {
    given([registered(true)]).when(register).thenRejects('already_exists');
  });
  it('rejects registration on a voided stream (a late registration fenced out)', () => {
    given([userEvent('RegistrationVoided', { userId, at: earlier })]).when(register).thenRejects('already_exists');
  });
});

describe('VoidClaim', () => {
  it('voids a registration that never happened', () => {
    given([]).when({ type: 'VoidClaim', userId, field: 'username' }).then([userEvent('RegistrationVoided', { userId, at })]);
  });
  it('voids an account\'s unfinished rename (changing nothing else)', () => {
    given([registered(true)])
      .when({ type: 'VoidClaim', userId, field: 'username' })
      .then([userEvent('ClaimVoided', { userId, field: 'username', at })]);
  });
  it('has nothing to void on a deleted account', () => {
    given([registered(true), userEvent('UserDeleted', { userId, at: earlier })]).when({ type: 'VoidClaim', userId, field: 'email' }).then([]);
  });
});

describe('ActivateUser', () => {
  it('activates an inactive account with a valid token', () => {
    const history = [registered(false)];
    given(history).when({ type: 'ActivateUser', link: linkFor(history, 'activation') }).then([userEvent('UserActivated', { userId, at })]);
  });
  it('rejects a bad token', () => {
    given([registered(false)])
      .when({ type: 'ActivateUser', link: { token: 'abc-123', secret, timeoutSeconds: 3600 } })
      .thenRejects('invalid_token');
  });
  it('rejects an expired token', () => {
    const history = [registered(false)];
    const link = linkFor(history, 'activation', Math.floor(now.getTime() / 1000) - 3601);
    given(history).when({ type: 'ActivateUser', link }).thenRejects('invalid_token');
  });
  it('rejects a token made for another purpose', () => {
    const history = [registered(false)];
    given(history).when({ type: 'ActivateUser', link: linkFor(history, 'password_reset') }).thenRejects('invalid_token');
  });
  it('calls a valid token of an active account stale (djoser: 403)', () => {
    const history = [registered(false)];
    const link = linkFor(history, 'activation');
    given([...history, activated]).when({ type: 'ActivateUser', link }).thenRejects('stale_token');
  });
  it('rejects an unknown account', () => {
    given([]).when({ type: 'ActivateUser', link: { token: 'x', secret, timeoutSeconds: 1 } }).thenRejects('not_found');
  });
});

describe('RequestActivationEmail', () => {
  it('requests an email for an inactive account', () => {
    given([registered(false)]).when({ type: 'RequestActivationEmail' }).then([userEvent('ActivationEmailRequested', { userId, at })]);
  });
  it('decides nothing for an active account (djoser 2.3: 204, no email)', () => {
    given([registered(true)]).when({ type: 'RequestActivationEmail' }).then([]);
  });
});

describe('UpdateProfile', () => {
  it('records only what changed', () => {
    given([registered(true)])
      .when({ type: 'UpdateProfile', email: 'alice@example.com', firstName: 'Alice', requireActivation: false })
      .then([userEvent('UserProfileUpdated', { userId, firstName: 'Alice', at })]);
  });
  it('decides nothing when nothing changed', () => {
    given([registered(true)]).when({ type: 'UpdateProfile', email: 'alice@example.com', requireActivation: true }).then([]);
  });
  it('with activation on, an email change deactivates and requests activation of the new address', () => {
    given([registered(true)])
      .when({ type: 'UpdateProfile', email: 'new@example.com', requireActivation: true })
      .then([
        userEvent('UserProfileUpdated', { userId, email: 'new@example.com', at }),
        userEvent('UserDeactivated', { userId, reason: 'email_changed', at }),
        userEvent('ActivationEmailRequested', { userId, at }),
      ]);
  });
  it('with activation off, an email change is just a change', () => {
    given([registered(true)])
      .when({ type: 'UpdateProfile', email: 'new@example.com', requireActivation: false })
      .then([userEvent('UserProfileUpdated', { userId, email: 'new@example.com', at })]);
  });
});

describe('DeleteUser', () => {
  it('deletes an account', () => {
    given([registered(true)]).when({ type: 'DeleteUser' }).then([userEvent('UserDeleted', { userId, at })]);
  });
  it('rejects a deleted account', () => {
    given([registered(true), userEvent('UserDeleted', { userId, at: earlier })]).when({ type: 'DeleteUser' }).thenRejects('not_found');
  });
});

describe('RecordLogin and auth tokens', () => {
  const created = userEvent('AuthTokenCreated', { userId, tokenId: 't1', keyHash: 'h1', at: earlier });
  it('records a login of an active account', () => {
    given([registered(true)]).when({ type: 'RecordLogin' }).then([userEvent('UserLoggedIn', { userId, at })]);
  });
  it('refuses a login of an inactive account', () => {
    given([registered(false)]).when({ type: 'RecordLogin' }).thenRejects('inactive');
  });
  it('creates the one token when there is none', () => {
    given([registered(true)])
      .when({ type: 'CreateAuthToken', tokenId: 't2', keyHash: 'h2' })
      .then([userEvent('AuthTokenCreated', { userId, tokenId: 't2', keyHash: 'h2', at })]);
  });
  it('keeps the existing token (get_or_create)', () => {
    given([registered(true), created]).when({ type: 'CreateAuthToken', tokenId: 't2', keyHash: 'h2' }).then([]);
  });
  it('refuses a token for an inactive account', () => {
    given([registered(false)]).when({ type: 'CreateAuthToken', tokenId: 't2', keyHash: 'h2' }).thenRejects('inactive');
  });
  it('destroys the token', () => {
    given([registered(true), created]).when({ type: 'DestroyAuthToken' }).then([userEvent('AuthTokenDestroyed', { userId, at })]);
  });
  it('destroying without a token decides nothing', () => {
    given([registered(true)]).when({ type: 'DestroyAuthToken' }).then([]);
  });
});

describe('passwords', () => {
  const created = userEvent('AuthTokenCreated', { userId, tokenId: 't1', keyHash: 'h1', at: earlier });
  it('sets a password, keeping the token unless logout is asked', () => {
    given([registered(true), created])
      .when({ type: 'SetPassword', passwordHash: 'h2', logout: false })
      .then([userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'set', at })]);
  });
  it('LOGOUT_ON_PASSWORD_CHANGE destroys the token', () => {
    given([registered(true), created])
      .when({ type: 'SetPassword', passwordHash: 'h2', logout: true })
      .then([userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'set', at }), userEvent('AuthTokenDestroyed', { userId, at })]);
  });
  it('requests a reset for an active account with a usable password', () => {
    given([registered(true)]).when({ type: 'RequestPasswordReset' }).then([userEvent('PasswordResetRequested', { userId, at })]);
  });
  it('refuses a reset request for an inactive account', () => {
    given([registered(false)]).when({ type: 'RequestPasswordReset' }).thenRejects('inactive');
  });
  it('resets with a valid link, stamping last_login so the link is single-use', () => {
    const history = [registered(true)];
    const link = linkFor(history, 'password_reset');
    const events = [
      userEvent('PasswordChanged', { userId, passwordHash: 'h2', reason: 'reset', at }),
      userEvent('UserLoggedIn', { userId, at }),
    ];
    given(history).when({ type: 'ResetPassword', link, passwordHash: 'h2', logout: false }).then(events);
    given([...history, ...events]).when({ type: 'ResetPassword', link, passwordHash: 'h3', logout: false }).thenRejects('invalid_token');
  });
  it('a login since the email was sent kills the reset link', () => {
    const history = [registered(true)];
    const link = linkFor(history, 'password_reset');
    given([...history, userEvent('UserLoggedIn', { userId, at: earlier })])
      .when({ type: 'ResetPassword', link, passwordHash: 'h2', logout: false })
      .thenRejects('invalid_token');
  });
});

describe('usernames', () => {
  it('sets a new username', () => {
    given([registered(true)])
      .when({ type: 'SetUsername', username: 'alicia' })
      .then([userEvent('UsernameChanged', { userId, username: 'alicia', reason: 'set', at })]);
  });
  it('requests a username reset for an active account', () => {
    given([registered(true)]).when({ type: 'RequestUsernameReset' }).then([userEvent('UsernameResetRequested', { userId, at })]);
  });
  it('resets the username with a valid link', () => {
    const history = [registered(true)];
    given(history)
      .when({ type: 'ResetUsername', link: linkFor(history, 'username_reset'), username: 'alicia' })
      .then([userEvent('UsernameChanged', { userId, username: 'alicia', reason: 'reset', at }), userEvent('UserLoggedIn', { userId, at })]);
  });
});

describe('evolve', () => {
  it('folds the history into the account state', () => {
    const state = fold([
      registered(false),
      activated,
      userEvent('UserProfileUpdated', { userId, email: 'b@example.com', at: earlier }),
      userEvent('UserLoggedIn', { userId, at: earlier }),
      userEvent('PasswordChanged', { userId, passwordHash: 'h9', reason: 'set', at: earlier }),
    ]);
    assert.equal(state.status, 'active');
    assert.ok('email' in state, 'an account');
    assert.equal(state.email, 'b@example.com');
    assert.equal(state.lastLogin, earlier);
    assert.equal(state.passwordHash, 'h9');
  });
});
