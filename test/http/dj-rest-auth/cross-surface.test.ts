// The two surfaces over the same accounts: registered on one, logging in on the other; a password changed on
// dj-rest-auth and the djoser surface's tokens (REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE); a reset on either surface ends
// the JWTs of both; what "verified" means for accounts that came through djoser.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../../support/service.js';
import { activationLink } from '../../support/accounts.js';
import { linkParts, nthMailTo } from '../helpers.js';
import {
  BASE_ENV,
  CONFIRM_SUBJECT,
  NEW_PASSWORD,
  PASSWORD,
  RESET_SUBJECT,
  bearer,
  dra,
  keyIn,
  mailTo,
  newUser,
  resetLinkIn,
  signUp,
} from './support.js';

const token = (key: string) => ({ Authorization: `Token ${key}` });
const jwtHeader = (access: string) => ({ Authorization: `Bearer ${access}` });

describe('across the surfaces: JWT mode, mandatory verification, djoser activation on', () => {
  const svc = useService({
    ...BASE_ENV,
    REST_AUTH_USE_JWT: 'true',
    REST_AUTH_JWT_AUTH_HTTPONLY: 'false',
    ACCOUNT_EMAIL_VERIFICATION: 'mandatory',
    SEND_ACTIVATION_EMAIL: 'true',
  });
  const djoserRegister = async (user = newUser()) => {
    const res = await svc.call('POST', '/auth/users/', { username: user.username, email: user.email, password: user.password });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { ...user, id: res.body.id as number };
  };
  const draLogin = (user: { username: string }, password = PASSWORD) => dra(svc, 'POST', 'login/', { username: user.username, password });

  it('registered and activated on djoser: the activation proved the mailbox, so it logs in on dj-rest-auth', async () => {
    const user = await djoserRegister();
    assert.deepEqual((await draLogin(user)).body, { non_field_errors: ['Unable to log in with provided credentials.'] }, 'inactive');
    const link = await activationLink(svc, user.id);
    assert.equal((await svc.call('POST', '/auth/users/activation/', link)).status, 204);
    const res = await draLogin(user);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.user.pk, user.id);
    // …and its email change through djoser unverifies it (until the new address is activated).
    const access = res.body.access as string;
    assert.equal((await svc.call('PATCH', '/auth/users/me/', { email: `new-${user.email}` }, jwtHeader(access))).status, 200);
    assert.equal((await draLogin(user)).status, 400, 'inactive again until the new address is activated');
    const link2 = await activationLink(svc, user.id);
    assert.equal((await svc.call('POST', '/auth/users/activation/', link2)).status, 204);
    assert.equal((await draLogin(user)).status, 200, 'the new address activated: verified again');
  });

  it('registered on dj-rest-auth: active at once, logs in on djoser; on dj-rest-auth only once verified', async () => {
    const user = newUser();
    await signUp(svc, user, 201);
    const djoser = await svc.call('POST', '/auth/token/login/', { username: user.username, password: PASSWORD });
    assert.equal(djoser.status, 200);
    assert.deepEqual((await draLogin(user)).body, { non_field_errors: ['E-mail is not verified.'] });
  });

  it('a reset on dj-rest-auth ends the djoser JWTs; a reset on djoser ends the dj-rest-auth JWTs', async () => {
    const user = await djoserRegister();
    await svc.call('POST', '/auth/users/activation/', await activationLink(svc, user.id));
    const djoserJwt = (await svc.call('POST', '/auth/jwt/create/', { username: user.username, password: PASSWORD })).body;
    const draJwt = (await draLogin(user)).body;
    assert.equal((await svc.call('GET', '/auth/users/me/', undefined, jwtHeader(djoserJwt.access))).status, 200);

    // dj-rest-auth's reset …
    await dra(svc, 'POST', 'password/reset/', { email: user.email });
    const { uid, token: resetToken } = resetLinkIn(await mailTo(svc, user.email, RESET_SUBJECT));
    const reset = await dra(svc, 'POST', 'password/reset/confirm/', {
      uid,
      token: resetToken,
      new_password1: NEW_PASSWORD,
      new_password2: NEW_PASSWORD,
    });
    assert.equal(reset.status, 200);
    // … ends every session: djoser's JWTs and dj-rest-auth's alike.
    assert.equal((await svc.call('GET', '/auth/users/me/', undefined, jwtHeader(djoserJwt.access))).status, 401);
    assert.equal((await svc.call('POST', '/auth/jwt/refresh/', { refresh: djoserJwt.refresh })).status, 401);
    assert.equal((await dra(svc, 'GET', 'user/', undefined, bearer(draJwt.access))).status, 401);

    // djoser's reset ends the JWTs dj-rest-auth issued since.
    const again = (await draLogin(user, NEW_PASSWORD)).body;
    assert.equal((await dra(svc, 'GET', 'user/', undefined, bearer(again.access))).status, 200);
    assert.equal((await svc.call('POST', '/auth/users/reset_password/', { email: user.email })).status, 204);
    const { uid: djUid, token: djToken } = linkParts(await nthMailTo(svc, user.email, 1, 'Password reset on example.com'));
    const djReset = await svc.call('POST', '/auth/users/reset_password_confirm/', { uid: djUid, token: djToken, new_password: PASSWORD });
    assert.equal(djReset.status, 204, JSON.stringify(djReset.body));
    assert.equal((await dra(svc, 'GET', 'user/', undefined, bearer(again.access))).status, 401);
    assert.equal((await dra(svc, 'POST', 'token/refresh/', { refresh: again.refresh })).status, 401);
    assert.equal((await draLogin(user, PASSWORD)).status, 200);
  });
});

describe('across the surfaces: registered on djoser without activation, mandatory verification', () => {
  const svc = useService({ ...BASE_ENV, ACCOUNT_EMAIL_VERIFICATION: 'mandatory' });

  it('did not prove the mailbox: "E-mail is not verified." until resend-email and the key verify it', async () => {
    const user = newUser();
    assert.equal(
      (await svc.call('POST', '/auth/users/', { username: user.username, email: user.email, password: user.password })).status,
      201,
    );
    const login = () => dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD });
    assert.deepEqual((await login()).body, { non_field_errors: ['E-mail is not verified.'] });
    assert.equal((await dra(svc, 'POST', 'registration/resend-email/', { email: user.email })).status, 200);
    const key = keyIn(await mailTo(svc, user.email, CONFIRM_SUBJECT));
    assert.equal((await dra(svc, 'POST', 'registration/verify-email/', { key })).status, 200);
    assert.equal((await login()).status, 200);
  });
});

for (const logout of [false, true]) {
  describe(`across the surfaces: a password changed on dj-rest-auth, REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE=${logout}`, () => {
    const svc = useService({
      ...BASE_ENV,
      ACCOUNT_EMAIL_VERIFICATION: 'none',
      REST_AUTH_SESSION_LOGIN: 'false',
      REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE: String(logout),
    });

    // Without logout the DRF token it was made with stays (as dj-rest-auth keeps the session it was made in); the JWT
    // sessions end, as they do after djoser's set_password: whoever holds one may be who the password was changed against.
    it(logout ? "ends djoser's DRF token and JWTs" : "keeps the DRF token it was made with, ends djoser's JWT sessions", async () => {
      const user = newUser();
      const res = await svc.call('POST', '/auth/users/', { username: user.username, email: user.email, password: user.password });
      assert.equal(res.status, 201);
      const djoserKey = (await svc.call('POST', '/auth/token/login/', { username: user.username, password: PASSWORD })).body.auth_token;
      const djoserJwt = (await svc.call('POST', '/auth/jwt/create/', { username: user.username, password: PASSWORD })).body;
      // dj-rest-auth's login hands out the same DRF key.
      const key = (await dra(svc, 'POST', 'login/', { username: user.username, password: PASSWORD })).body.key;
      assert.equal(key, djoserKey);
      const changed = await dra(
        svc,
        'POST',
        'password/change/',
        { new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD },
        { headers: token(key) },
      );
      assert.equal(changed.status, 200);
      assert.equal((await svc.call('GET', '/auth/users/me/', undefined, token(djoserKey))).status, logout ? 401 : 200);
      assert.equal((await svc.call('GET', '/auth/users/me/', undefined, jwtHeader(djoserJwt.access))).status, 401);
      assert.equal((await svc.call('POST', '/auth/jwt/refresh/', { refresh: djoserJwt.refresh })).status, 401);
      assert.equal((await svc.call('POST', '/auth/token/login/', { username: user.username, password: NEW_PASSWORD })).status, 200);
    });
  });
}
