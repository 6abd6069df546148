// Cheap checks before expensive work: a bad link costs no password hash and claims no name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { argon2Hasher, type PasswordHasher } from '../../src/crypto/passwords.js';
import { encodeUid } from '../../src/crypto/link-token.js';
import { useService } from '../support/service.js';
import { INVALID_TOKEN, INVALID_UID, SITE, register, unique } from './helpers.js';

const argon2 = argon2Hasher({ memoryKiB: 19_456, timeCost: 2, parallelism: 1 });
let hashed = 0;
const counting: PasswordHasher = { ...argon2, hash: (password) => (hashed++, argon2.hash(password)) };

describe('cheap checks first', () => {
  const svc = useService(SITE, { hasher: counting });
  const eventCount = async () => {
    let n = 0;
    for await (const _ of svc.store.readAll()) n++;
    return n;
  };

  it('reset_password_confirm with a bad token or uid hashes nothing', async () => {
    const user = await register(svc);
    const before = hashed;
    const badToken = await svc.call('POST', '/auth/users/reset_password_confirm/', {
      uid: encodeUid(String(user.id)),
      token: '1-abc',
      new_password: 'Brand-new-pass-42',
    });
    assert.equal(badToken.status, 400);
    assert.deepEqual(badToken.body, INVALID_TOKEN);
    const badUid = await svc.call('POST', '/auth/users/reset_password_confirm/', {
      uid: 'bm9ib2R5',
      token: '1-abc',
      new_password: 'Brand-new-pass-42',
    });
    assert.deepEqual(badUid.body, INVALID_UID);
    assert.equal(hashed, before, 'no argon2 hash for a request refused on its link');
  });

  it('reset_username_confirm with a bad token appends nothing, not even a claim on the name', async () => {
    const user = await register(svc);
    const before = await eventCount();
    const name = unique('wanted');
    const res = await svc.call('POST', '/auth/users/reset_username_confirm/', {
      uid: encodeUid(String(user.id)),
      token: '1-abc',
      new_username: name,
    });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, INVALID_TOKEN);
    assert.equal(await eventCount(), before);
    assert.deepEqual(await svc.store.readStream(`reservation-username-${name}`), []);
  });
});
