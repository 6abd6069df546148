// jwt/create/, jwt/refresh/, jwt/verify/ and simplejwt's JWTAuthentication (docs/djoser-reference.md §0.4, §13).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { useService } from '../support/service.js';
import { NOT_AUTHENTICATED, PASSWORD, auth, bearer, decodeJwt, jwtPair, linkParts, login, nthMailTo, register, unique } from './helpers.js';

// Set explicitly so the tests can sign their own (expired, tampered) tokens, as an attacker holding the key could.
const SECRET_KEY = 'jwt-test-secret-key-0123456789abcdefghijklmnop';
const BEARER = 'Bearer realm="api"';
const NO_ACCOUNT = { detail: 'No active account found with the given credentials' };
const INVALID = { detail: 'Token is invalid or expired', code: 'token_not_valid' };
const invalidAccess = (message: string) => ({
  detail: 'Given token not valid for any token type',
  code: 'token_not_valid',
  messages: [{ token_class: 'AccessToken', token_type: 'access', message }],
});

async function sign(claims: Record<string, unknown>, key = SECRET_KEY, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(key));
}
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('JWT endpoints', () => {
  const svc = useService({ SECRET_KEY });

  const post = (path: string, body: unknown, headers?: Record<string, string>) => svc.call('POST', `/auth/jwt/${path}/`, body, headers);
  const me = (headers: Record<string, string>) => svc.call('GET', '/auth/users/me/', undefined, headers);

  describe('create', () => {
    it('200 {refresh, access}, HS256, claims token_type/exp/iat/jti/user_id, lifetimes 86400 s and 300 s', async () => {
      const user = await register(svc);
      const before = nowSeconds();
      const res = await post('create', { username: user.username, password: PASSWORD });
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body), ['refresh', 'access']);
      const refresh = decodeJwt(res.body.refresh);
      const access = decodeJwt(res.body.access);
      assert.deepEqual(refresh.header, { alg: 'HS256', typ: 'JWT' });
      assert.deepEqual(access.header, { alg: 'HS256', typ: 'JWT' });
      // simplejwt's claims, and authstream's session id and epoch (what revocation checks).
      assert.deepEqual(Object.keys(refresh.payload).sort(), ['epoch', 'exp', 'iat', 'jti', 'sid', 'token_type', 'user_id']);
      assert.deepEqual(Object.keys(access.payload).sort(), ['epoch', 'exp', 'iat', 'jti', 'sid', 'token_type', 'user_id']);
      assert.equal(refresh.payload.sid, access.payload.sid);
      assert.equal(refresh.payload.token_type, 'refresh');
      assert.equal(access.payload.token_type, 'access');
      // simplejwt: an integer pk is a JSON number.
      assert.equal(refresh.payload.user_id, user.id);
      assert.equal(access.payload.user_id, user.id);
      const iat = refresh.payload.iat as number;
      assert.ok(iat >= before && iat <= nowSeconds(), 'iat is now');
      assert.equal(refresh.payload.exp, iat + 86_400);
      assert.equal(access.payload.exp, (access.payload.iat as number) + 300);
      assert.match(refresh.payload.jti as string, /^[0-9a-f]{32}$/);
      assert.match(access.payload.jti as string, /^[0-9a-f]{32}$/);
      assert.notEqual(refresh.payload.jti, access.payload.jti);
    });

    it('field errors: {} → both required; blank password; not strings', async () => {
      const a = await post('create', {});
      assert.equal(a.status, 400);
      assert.deepEqual(a.body, { username: ['This field is required.'], password: ['This field is required.'] });
      const b = await post('create', { username: 'x', password: '' });
      assert.equal(b.status, 400);
      assert.deepEqual(b.body, { password: ['This field may not be blank.'] });
      const c = await post('create', { username: { $gt: '' }, password: { $gt: '' } });
      assert.equal(c.status, 400);
      assert.deepEqual(c.body, { username: ['Not a valid string.'], password: ['Not a valid string.'] });
    });

    it('wrong credentials → 401 with no code, WWW-Authenticate: Bearer realm="api"', async () => {
      const user = await register(svc);
      for (const body of [
        { username: user.username, password: 'wrong-password' },
        { username: unique('ghost'), password: PASSWORD },
      ]) {
        const res = await post('create', body);
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, NO_ACCOUNT);
        assert.equal(res.headers.get('www-authenticate'), BEARER);
      }
    });

    it('trims the credentials and ignores the Authorization header', async () => {
      const user = await register(svc);
      const res = await post('create', { username: ` ${user.username} `, password: ` ${PASSWORD} ` }, { Authorization: 'Token nope' });
      assert.equal(res.status, 200);
    });

    it('malformed JSON → 400 parse error', async () => {
      const res = await post('create', '{bad');
      assert.equal(res.status, 400);
      assert.match(res.body.detail, /^JSON parse error - /);
    });
  });

  describe('refresh', () => {
    it('200 {access}: a new access token for the same user, exp now + 300 s', async () => {
      const user = await register(svc);
      const pair = await jwtPair(svc, user.username);
      const before = nowSeconds();
      const res = await post('refresh', { refresh: pair.refresh });
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(res.body), ['access']);
      const access = decodeJwt(res.body.access).payload;
      assert.equal(access.token_type, 'access');
      assert.equal(access.user_id, user.id);
      assert.ok((access.exp as number) >= before + 300 && (access.exp as number) <= nowSeconds() + 300);
      assert.notEqual(access.jti, decodeJwt(pair.refresh).payload.jti);
      assert.equal((await me(bearer(res.body.access))).status, 200);
    });

    it("the new access token keeps the refresh token's iat (simplejwt copies every claim but type, exp, jti)", async () => {
      const user = await register(svc);
      const refresh = await sign({
        token_type: 'refresh',
        exp: nowSeconds() + 3600,
        iat: nowSeconds() - 100,
        jti: 'a'.repeat(32),
        user_id: user.id,
      });
      const res = await post('refresh', { refresh });
      assert.equal(decodeJwt(res.body.access).payload.iat, nowSeconds() - 100);
    });

    it('missing / blank → 400 field error', async () => {
      const a = await post('refresh', {});
      assert.equal(a.status, 400);
      assert.deepEqual(a.body, { refresh: ['This field is required.'] });
      const b = await post('refresh', { refresh: '' });
      assert.equal(b.status, 400);
      assert.deepEqual(b.body, { refresh: ['This field may not be blank.'] });
    });

    it('garbage, tampered, foreign-key, expired → 401 token_not_valid with Bearer realm', async () => {
      const user = await register(svc);
      const { refresh } = await jwtPair(svc, user.username);
      const [h, p, s] = refresh.split('.');
      const claims = { token_type: 'refresh', iat: nowSeconds() - 10, jti: 'b'.repeat(32), user_id: user.id };
      const bad = [
        'garbage',
        `${h}.${p}.${s!.slice(0, -2)}${s!.endsWith('AA') ? 'BB' : 'AA'}`,
        await sign({ ...claims, exp: nowSeconds() + 3600 }, 'another-secret-key-that-is-long-enough-000'),
        await sign({ ...claims, exp: nowSeconds() - 5 }),
        await sign({ ...claims, exp: nowSeconds() + 3600 }, SECRET_KEY, 'HS512'),
      ];
      for (const token of bad) {
        const res = await post('refresh', { refresh: token });
        assert.equal(res.status, 401, token);
        assert.deepEqual(res.body, INVALID, token);
        assert.equal(res.headers.get('www-authenticate'), BEARER);
      }
    });

    it('an access token → 401 Token has wrong type', async () => {
      const user = await register(svc);
      const { access } = await jwtPair(svc, user.username);
      const res = await post('refresh', { refresh: access });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'Token has wrong type', code: 'token_not_valid' });
      assert.equal(res.headers.get('www-authenticate'), BEARER);
    });

    it('refuses a deleted user (deliberate: simplejwt would still refresh)', async () => {
      // Deliberate deviation: jwt/refresh looks the user up and refuses deleted or inactive accounts.
      const user = await register(svc);
      const { refresh } = await jwtPair(svc, user.username);
      const token = await login(svc, user.username);
      assert.equal((await svc.call('DELETE', '/auth/users/me/', { current_password: PASSWORD }, auth(token))).status, 204);
      const res = await post('refresh', { refresh });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'No active account found for the given token.', code: 'no_active_account' });
      assert.equal(res.headers.get('www-authenticate'), BEARER);
    });
  });

  describe('verify', () => {
    it('access and refresh tokens → 200 {}', async () => {
      const user = await register(svc);
      const { refresh, access } = await jwtPair(svc, user.username);
      for (const token of [access, refresh]) {
        const res = await post('verify', { token });
        assert.equal(res.status, 200);
        assert.deepEqual(res.body, {});
      }
    });

    it('garbage / expired → 401 token_not_valid; missing → 400', async () => {
      const user = await register(svc);
      for (const token of [
        'garbage',
        await sign({ token_type: 'access', exp: nowSeconds() - 1, iat: nowSeconds() - 301, jti: 'c'.repeat(32), user_id: user.id }),
      ]) {
        const res = await post('verify', { token });
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, INVALID);
        assert.equal(res.headers.get('www-authenticate'), BEARER);
      }
      const missing = await post('verify', {});
      assert.equal(missing.status, 400);
      assert.deepEqual(missing.body, { token: ['This field is required.'] });
    });

    it("verify refuses the tokens of a deleted account (deliberate: simplejwt's verify would still say 200)", async () => {
      const user = await register(svc);
      const { access, refresh } = await jwtPair(svc, user.username);
      const token = await login(svc, user.username);
      assert.equal((await svc.call('DELETE', '/auth/users/me/', { current_password: PASSWORD }, auth(token))).status, 204);
      for (const jwt of [access, refresh]) {
        const res = await post('verify', { token: jwt });
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, { detail: 'Token is blacklisted', code: 'token_not_valid' });
      }
    });
  });

  describe('JWTAuthentication (Authorization header)', () => {
    it('Bearer and JWT keywords both authenticate (AUTH_HEADER_TYPES "Bearer,JWT")', async () => {
      const user = await register(svc);
      const { access } = await jwtPair(svc, user.username);
      for (const keyword of ['Bearer', 'JWT']) {
        const res = await me({ Authorization: `${keyword} ${access}` });
        assert.equal(res.status, 200, keyword);
        assert.deepEqual(res.body, { email: user.email, id: user.id, username: user.username });
      }
    });

    it('keywords are case-sensitive: "bearer <jwt>" is not a JWT header (anonymous)', async () => {
      const user = await register(svc);
      const { access } = await jwtPair(svc, user.username);
      const res = await me({ Authorization: `bearer ${access}` });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, NOT_AUTHENTICATED);
    });

    it('"Bearer" alone or with two values → bad_authorization_header', async () => {
      for (const header of ['Bearer', 'Bearer a b', 'JWT']) {
        const res = await me({ Authorization: header });
        assert.equal(res.status, 401, header);
        assert.deepEqual(
          res.body,
          { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' },
          header,
        );
      }
    });

    it('invalid, expired, foreign-signed → token_not_valid with messages; refresh token → Token has wrong type', async () => {
      const user = await register(svc);
      const { refresh } = await jwtPair(svc, user.username);
      const claims = { token_type: 'access', iat: nowSeconds() - 400, jti: 'd'.repeat(32), user_id: user.id };
      for (const token of [
        'garbage',
        await sign({ ...claims, exp: nowSeconds() - 100 }),
        await sign({ ...claims, exp: nowSeconds() + 100 }, 'x'.repeat(40)),
      ]) {
        const res = await me(bearer(token));
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, invalidAccess('Token is invalid or expired'));
      }
      const wrongType = await me(bearer(refresh));
      assert.equal(wrongType.status, 401);
      assert.deepEqual(wrongType.body, invalidAccess('Token has wrong type'));
    });

    it("well-signed tokens missing a claim get simplejwt's specific messages", async () => {
      const base = {
        token_type: 'access',
        exp: nowSeconds() + 100,
        iat: nowSeconds(),
        jti: 'f'.repeat(32),
        user_id: '00000000-0000-4000-8000-000000000000',
      };
      const without = (claim: keyof typeof base) => sign(Object.fromEntries(Object.entries(base).filter(([k]) => k !== claim)));
      assert.deepEqual((await me(bearer(await without('exp')))).body, invalidAccess("Token has no 'exp' claim"));
      assert.deepEqual((await me(bearer(await without('jti')))).body, invalidAccess('Token has no id'));
      assert.deepEqual((await me(bearer(await without('token_type')))).body, invalidAccess('Token has no type'));
      assert.deepEqual((await me(bearer(await without('user_id')))).body, {
        detail: 'Token contained no recognizable user identification',
        code: 'token_not_valid',
      });
    });

    it('a valid token for a deleted user → 401 User not found (user_not_found)', async () => {
      const token = await sign({
        token_type: 'access',
        exp: nowSeconds() + 100,
        iat: nowSeconds(),
        jti: 'e'.repeat(32),
        user_id: '00000000-0000-4000-8000-000000000000',
      });
      const res = await me(bearer(token));
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'User not found', code: 'user_not_found' });
    });

    it('401s carry the WWW-Authenticate of the first authentication class (Token)', async () => {
      // DRF takes the header from the first DEFAULT_AUTHENTICATION_CLASSES entry, whichever class failed; ours is Token.
      const res = await me({ Authorization: 'Bearer garbage' });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Token');
    });
  });
});

describe('JWT with SEND_ACTIVATION_EMAIL', () => {
  const svc = useService({ SECRET_KEY, SEND_ACTIVATION_EMAIL: 'true' });

  it('inactive account: jwt/create → 401 no active account; refresh of an older token → 401 no_active_account (deliberate)', async () => {
    const user = await register(svc);
    const res = await svc.call('POST', '/auth/jwt/create/', { username: user.username, password: PASSWORD });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, NO_ACCOUNT);
    assert.equal(res.headers.get('www-authenticate'), BEARER);

    assert.equal((await svc.call('POST', '/auth/users/activation/', linkParts(await nthMailTo(svc, user.email)))).status, 204);
    const { refresh, access } = await jwtPair(svc, user.username);
    // Changing the email makes the account inactive again until the new address is confirmed.
    const patch = await svc.call('PATCH', '/auth/users/me/', { email: `${unique('moved')}@example.com` }, bearer(access));
    assert.equal(patch.status, 200);
    const inactive = await svc.call('GET', '/auth/users/me/', undefined, bearer(access));
    assert.equal(inactive.status, 401);
    assert.deepEqual(inactive.body, { detail: 'User is inactive', code: 'user_inactive' });
    // Deliberate deviation: simplejwt's refresh would answer 200 here.
    const refreshed = await svc.call('POST', '/auth/jwt/refresh/', { refresh });
    assert.equal(refreshed.status, 401);
    assert.deepEqual(refreshed.body, { detail: 'No active account found for the given token.', code: 'no_active_account' });
  });
});
