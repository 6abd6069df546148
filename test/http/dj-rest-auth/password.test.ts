// password/change/ with and without the old password, REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE, and the reset flow with
// the emailed link (docs/dj-rest-auth-reference.md §5-§7, §15.2).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../../support/service.js';
import { mailText } from './replay.js';
import { BASE_ENV, NEW_PASSWORD, PASSWORD, RESET_SUBJECT, auth, dra, mailTo, newUser, resetLinkIn, signUp } from './support.js';

const ENV = { ...BASE_ENV, ACCOUNT_EMAIL_VERIFICATION: 'none', REST_AUTH_SESSION_LOGIN: 'false' };
const change = (svc: Parameters<typeof dra>[0], key: string, body: unknown) => dra(svc, 'POST', 'password/change/', body, auth(key));
const canLogIn = async (svc: Parameters<typeof dra>[0], username: string, password: string) =>
  (await dra(svc, 'POST', 'login/', { username, password })).status === 200;

describe('dj-rest-auth password/change/ (defaults: no old password, no logout)', () => {
  const svc = useService(ENV);

  it('changes it on the session alone; the key stays valid; errors are on new_password2', async () => {
    const user = newUser();
    const key = (await signUp(svc, user, 201)).body.key;
    assert.deepEqual((await change(svc, key, { new_password1: NEW_PASSWORD, new_password2: `${NEW_PASSWORD}x` })).body, {
      new_password2: ['The two password fields didn’t match.'],
    });
    assert.deepEqual((await change(svc, key, { new_password1: '123', new_password2: '123' })).body, {
      new_password2: [
        'This password is too short. It must contain at least 8 characters.',
        'This password is too common.',
        'This password is entirely numeric.',
      ],
    });
    const ok = await change(svc, key, { old_password: 'ignored', new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD });
    assert.deepEqual([ok.status, ok.body], [200, { detail: 'New password has been saved.' }]);
    assert.ok(await canLogIn(svc, user.username, NEW_PASSWORD));
    assert.ok(!(await canLogIn(svc, user.username, PASSWORD)));
    assert.equal((await dra(svc, 'GET', 'user/', undefined, auth(key))).status, 200);
  });
});

describe('dj-rest-auth password/change/ with OLD_PASSWORD_FIELD_ENABLED and LOGOUT_ON_PASSWORD_CHANGE', () => {
  const svc = useService({ ...ENV, REST_AUTH_OLD_PASSWORD_FIELD_ENABLED: 'true', REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE: 'true' });

  it('the old password is checked first (only its error); the change logs out (authstream: tokens too)', async () => {
    const user = newUser();
    const key = (await signUp(svc, user, 201)).body.key;
    assert.deepEqual((await change(svc, key, {})).body, {
      old_password: ['This field is required.'],
      new_password1: ['This field is required.'],
      new_password2: ['This field is required.'],
    });
    assert.deepEqual((await change(svc, key, { old_password: 'wrong', new_password1: NEW_PASSWORD, new_password2: 'x' })).body, {
      old_password: ['Your old password was entered incorrectly. Please enter it again.'],
    });
    const ok = await change(svc, key, { old_password: PASSWORD, new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD });
    assert.equal(ok.status, 200);
    assert.deepEqual((await dra(svc, 'GET', 'user/', undefined, auth(key))).body, { detail: 'Invalid token.' });
    assert.ok(await canLogIn(svc, user.username, NEW_PASSWORD));
  });
});

describe('dj-rest-auth password reset by the emailed link', () => {
  const svc = useService(ENV);

  it("allauth's email with the REST_AUTH_PASSWORD_RESET_CONFIRM_URL link (base36 uid); the link resets once", async () => {
    const user = newUser();
    const key = (await signUp(svc, user, 201)).body.key;
    const res = await dra(svc, 'POST', 'password/reset/', { email: user.email.toUpperCase() });
    assert.deepEqual([res.status, res.body], [200, { detail: 'Password reset e-mail has been sent.' }]);
    const mail = await mailTo(svc, user.email, RESET_SUBJECT);
    const { link, uid, token } = resetLinkIn(mail);
    const pk = (await dra(svc, 'GET', 'user/', undefined, auth(key))).body.pk as number;
    assert.equal(link, `http://localhost:8000/password-reset/confirm/${pk.toString(36)}/${token}/`);
    assert.match(token, /^[0-9a-z]{1,13}-[0-9a-f]{32}$/);
    assert.ok(mailText(mail).includes(`In case you forgot, your username is ${user.username}.`));
    const confirm = (body: Record<string, unknown>) =>
      dra(svc, 'POST', 'password/reset/confirm/', { new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD, uid, token, ...body });
    assert.deepEqual((await confirm({ uid: 'MQ' })).body, { uid: ['Invalid value'] });
    assert.deepEqual((await confirm({ token: 'abc-def' })).body, { token: ['Invalid value'] });
    assert.deepEqual((await confirm({ new_password2: 'other-Horse-9' })).body, {
      new_password2: ['The two password fields didn’t match.'],
    });
    const ok = await confirm({});
    assert.deepEqual([ok.status, ok.body], [200, { detail: 'Password has been reset with the new password.' }]);
    assert.deepEqual((await confirm({})).body, { token: ['Invalid value'] }, 'single use');
    assert.ok(await canLogIn(svc, user.username, NEW_PASSWORD));
    // As dj-rest-auth: the DRF token survives a reset (REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE off).
    assert.equal((await dra(svc, 'GET', 'user/', undefined, auth(key))).status, 200);
  });

  it('a djoser reset link is no dj-rest-auth one, and the other way round', async () => {
    const user = newUser();
    await signUp(svc, user, 201);
    await dra(svc, 'POST', 'password/reset/', { email: user.email });
    const { token } = resetLinkIn(await mailTo(svc, user.email, RESET_SUBJECT));
    const doc = await svc.readModel.findUserByUsername(user.username);
    const djoser = await svc.call('POST', '/auth/users/reset_password_confirm/', {
      uid: Buffer.from(doc!.id).toString('base64url'),
      token,
      new_password: NEW_PASSWORD,
    });
    assert.deepEqual([djoser.status, djoser.body], [400, { token: ['Invalid token for given user.'] }]);
  });

  it('unknown and inactive addresses: the same 200, no email', async () => {
    assert.equal((await dra(svc, 'POST', 'password/reset/', { email: 'nobody@example.com' })).status, 200);
    assert.deepEqual((await dra(svc, 'POST', 'password/reset/', { email: 'nope' })).body, { email: ['Enter a valid email address.'] });
  });
});

describe('dj-rest-auth password reset on a UUID user model, login by email', () => {
  const svc = useService({ ...ENV, USER_ID_TYPE: 'uuid', ACCOUNT_AUTHENTICATION_METHOD: 'email' });

  it('the uid is the UUID in 32 hex digits (the dashed form is accepted too); no username line; a non-UUID uid', async () => {
    const user = newUser();
    await signUp(svc, user, 201);
    await dra(svc, 'POST', 'password/reset/', { email: user.email });
    const mail = await mailTo(svc, user.email, RESET_SUBJECT);
    assert.ok(!mailText(mail).includes('In case you forgot'));
    const link = /password-reset\/confirm\/([0-9a-f]{32})\/([0-9a-z]+-[0-9a-f]{32})\//.exec(mailText(mail));
    assert.ok(link, mailText(mail));
    const [, hex, token] = link;
    const dashed = `${hex!.slice(0, 8)}-${hex!.slice(8, 12)}-${hex!.slice(12, 16)}-${hex!.slice(16, 20)}-${hex!.slice(20)}`;
    const base = { new_password1: NEW_PASSWORD, new_password2: NEW_PASSWORD, token };
    assert.deepEqual((await dra(svc, 'POST', 'password/reset/confirm/', { ...base, uid: 'zz' })).body, {
      non_field_errors: ['“zz” is not a valid UUID.'],
    });
    assert.equal((await dra(svc, 'POST', 'password/reset/confirm/', { ...base, uid: dashed })).status, 200);
    assert.equal((await dra(svc, 'POST', 'login/', { email: user.email, password: NEW_PASSWORD })).status, 200);
  });
});
