// Event schemas: versioned, validated on the way in and out, and their public forms carry no secrets.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseUserEvent, publicData, publicSchema, routingKey, userEvent, userEventTypes } from '../../src/events/user.events.js';

const userId = '6f1d3c3e-8d7a-4f51-9a51-1f3f5e0a0b01';
const at = '2026-01-02T03:04:05.000Z';

describe('user events', () => {
  it('stamps a version and validates what is built', () => {
    assert.equal(userEvent('UserActivated', { userId, at }).data.v, 1);
    assert.throws(() => userEvent('UserActivated', { userId: 'not-a-uuid', at }));
  });

  it('rejects stored events of an unknown type or the wrong shape', () => {
    assert.throws(() => parseUserEvent('UserExploded', { v: 1, userId, at }), /unknown user event type/);
    assert.throws(() => parseUserEvent('UserActivated', { v: 2, userId, at }));
    assert.throws(() => parseUserEvent('UserRegistered', { v: 1, userId, at }));
  });

  it('public forms omit password hashes and token material', () => {
    const registered = userEvent('UserRegistered', {
      userId,
      username: 'alice',
      email: 'a@example.com',
      firstName: '',
      lastName: '',
      profile: {},
      passwordHash: '$argon2id$secret',
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      at,
    });
    const token = userEvent('AuthTokenCreated', { userId, tokenId: 'tid', keyHash: 'khash', at });
    const changed = userEvent('PasswordChanged', { userId, passwordHash: '$argon2id$secret2', reason: 'set', at });
    for (const event of [registered, token, changed]) {
      const json = JSON.stringify(publicData(event));
      for (const secret of ['$argon2id$secret', 'tid', 'khash', 'passwordHash', 'keyHash', 'tokenId']) {
        assert.ok(!json.includes(secret), `${event.type} public form leaks ${secret}`);
      }
      assert.equal(publicData(event).userId, userId);
    }
    for (const type of userEventTypes) {
      const keys = Object.keys(publicSchema(type).shape);
      assert.ok(!keys.some((k) => /hash|tokenId/i.test(k)), `${type} public schema has ${keys.join(',')}`);
    }
  });

  it('maps event types to routing keys', () => {
    assert.equal(routingKey('UserRegistered'), 'user.registered');
    assert.equal(routingKey('UserActivated'), 'user.activated');
    assert.equal(routingKey('PasswordChanged'), 'user.password_changed');
    assert.equal(routingKey('AuthTokenCreated'), 'user.auth_token_created');
  });
});
