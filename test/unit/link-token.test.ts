import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkLinkToken,
  decodeUid,
  DEFAULT_LINK_TOKEN_TIMEOUT_SECONDS,
  encodeUid,
  makeLinkToken,
  type LinkPurpose,
  type LinkUserState,
} from '../../src/crypto/link-token.js';

const secret = 'test-secret-key';
const now = 1_700_000_000; // 2023-11-14T22:13:20Z
const user: LinkUserState = {
  id: '3f1c2a9e-7b1d-4c47-9a51-0c7e8d2b6f10',
  passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA',
  lastLogin: new Date('2023-11-01T10:00:00.123Z'),
  email: 'alice@example.com',
};
const make = (purpose: LinkPurpose = 'activation', u: LinkUserState = user, at = now) =>
  makeLinkToken({ secret, purpose, user: u, nowSeconds: at });
const check = (token: string, over: Partial<Parameters<typeof checkLinkToken>[0]> = {}) =>
  checkLinkToken({ secret, purpose: 'activation', user, token, nowSeconds: now, ...over });

describe('encodeUid / decodeUid', () => {
  it("matches Django's urlsafe_base64_encode(force_bytes(pk))", () => {
    // Values from django.utils.http.urlsafe_base64_encode in Django 3.2.
    assert.equal(encodeUid('1'), 'MQ');
    assert.equal(encodeUid('999'), 'OTk5');
    assert.equal(encodeUid('12'), 'MTI');
    assert.equal(encodeUid('ü?>'), 'w7w_Pg');
  });

  it('round-trips', () => {
    for (const id of ['1', user.id, 'ü?>', 'x'.repeat(100)]) assert.equal(decodeUid(encodeUid(id)), id);
  });

  it('returns null for anything malformed and never throws', () => {
    const bad: unknown[] = ['', 'M', 'MQ==', 'MQ=', '!!', 'M Q', 'MR', 'w7', '_-8', 'MQ\n', null, undefined, 42, {}, ['MQ']];
    for (const uid of bad) assert.equal(decodeUid(uid), null, `uid ${JSON.stringify(uid)}`);
  });
});

describe('makeLinkToken / checkLinkToken', () => {
  it('has the <base36 seconds since 2001>-<hex> shape', () => {
    const token = make();
    const [ts, mac] = token.split('-');
    assert.equal(parseInt(ts!, 36), now - 978_307_200);
    assert.match(mac!, /^[0-9a-f]{64}$/);
  });

  it('round-trips for each purpose', () => {
    for (const purpose of ['activation', 'password_reset', 'username_reset'] as const) {
      assert.equal(check(make(purpose), { purpose }), true, purpose);
    }
  });

  it('is deterministic for the same state and second', () => {
    assert.equal(make(), make());
    assert.equal(make('activation', user, now + 0.9), make());
  });

  it('expires after the timeout (3 days by default), inclusive bound like Django', () => {
    const token = make();
    assert.equal(DEFAULT_LINK_TOKEN_TIMEOUT_SECONDS, 259_200);
    assert.equal(check(token, { nowSeconds: now + 259_200 }), true);
    assert.equal(check(token, { nowSeconds: now + 259_201 }), false);
    assert.equal(check(token, { nowSeconds: now + 60, timeoutSeconds: 60 }), true);
    assert.equal(check(token, { nowSeconds: now + 61, timeoutSeconds: 60 }), false);
  });

  it('dies on every change it is meant to track', () => {
    const token = make();
    const changes: Array<[string, Partial<LinkUserState>]> = [
      ['password change', { passwordHash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdDI$aGFzaDI' }],
      ['password made unusable', { passwordHash: null }],
      ['login', { lastLogin: new Date('2023-11-14T22:00:00.000Z') }],
      ['login 1 ms later', { lastLogin: new Date('2023-11-01T10:00:00.124Z') }],
      ['first login reset to none', { lastLogin: null }],
      ['email change', { email: 'alice@new.example.com' }],
      ['email case change', { email: 'Alice@example.com' }],
      ['other user', { id: '00000000-0000-4000-8000-000000000000' }],
    ];
    for (const [what, change] of changes) {
      assert.equal(check(token, { user: { ...user, ...change } }), false, what);
    }
    assert.equal(check(token, { user: { ...user } }), true);
  });

  it('covers users who never logged in and have no usable password', () => {
    const fresh: LinkUserState = { ...user, lastLogin: null, passwordHash: null };
    const token = make('activation', fresh);
    assert.equal(check(token, { user: fresh }), true);
    assert.equal(check(token, { user: { ...fresh, lastLogin: new Date(0) } }), false);
  });

  it('accepts lastLogin as a Date or its ISO string, hashing both the same', () => {
    const token = make();
    assert.equal(check(token, { user: { ...user, lastLogin: '2023-11-01T10:00:00.123Z' } }), true);
    assert.equal(check(token, { user: { ...user, lastLogin: 'not a date' } }), false);
  });

  it('rejects a token made for another purpose', () => {
    const purposes = ['activation', 'password_reset', 'username_reset'] as const;
    for (const made of purposes) {
      for (const used of purposes) {
        if (made !== used) assert.equal(check(make(made), { purpose: used }), false, `${made} as ${used}`);
      }
    }
  });

  it('rejects another secret', () => {
    assert.equal(check(make(), { secret: 'other-secret' }), false);
  });

  it('rejects a forged timestamp (the MAC covers it)', () => {
    const [, mac] = make().split('-');
    const later = (now + 86_400 - 978_307_200).toString(36);
    assert.equal(check(`${later}-${mac}`, { nowSeconds: now + 86_400 * 3 }), false);
    assert.equal(check(`0${make().split('-')[0]}-${mac}`), false); // non-canonical spelling
  });

  it('returns false for malformed tokens and never throws', () => {
    const token = make();
    const [ts, mac] = token.split('-');
    const bad: unknown[] = [
      '',
      '-',
      'abc',
      `${ts}`,
      `${ts}-`,
      `-${mac}`,
      `${ts}-${mac}-x`,
      `${ts}-${mac!.slice(1)}`,
      `${ts}-${mac}0`,
      `${ts!.toUpperCase()}-${mac}`,
      `${ts}-${mac!.toUpperCase()}`,
      ` ${token}`,
      `${token}\n`,
      `zzzzzzzzzzzzz-${mac}`,
      `+${ts}-${mac}`,
      `${ts}_${mac}`,
      `${ts}-${'g'.repeat(64)}`,
      null,
      undefined,
      12345,
      {},
      [token],
    ];
    for (const t of bad) assert.equal(check(t as string), false, `token ${JSON.stringify(t)}`);
  });

  it('treats a nonsensical clock as invalid instead of throwing', () => {
    assert.equal(check(make(), { nowSeconds: Number.NaN }), false);
    assert.throws(() => make('activation', user, 0), RangeError);
  });
});
