// The email user model (USERNAME_FIELD=email, no username), as seed 002's deployment configures it: a required
// `name` of 255 characters (docs/djoser-reference-email-and-admin.md §3, recorded in test/fixtures/djoser/).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../support/service.js';
import { linkIn } from '../support/smtp.js';
import { CANNOT_LOG_IN, INVALID_TOKEN, PASSWORD, SITE, linkParts, mailBarrier, mailsTo, mailText, nthMailTo, unique } from './helpers.js';

const EMAIL_TAKEN = 'user with this email already exists.';
const REQUIRED = ['This field is required.'];
const SEED_002 = { ...SITE, USERNAME_FIELD: 'email', USER_FIELDS: 'name:255:required' };

describe('email user model: registration, users/me/, login', () => {
  const svc = useService(SEED_002);
  const register = async (name = 'Alice Liddell') => {
    const email = `${unique('a')}@example.com`;
    const res = await svc.call('POST', '/auth/users/', { name, email, password: PASSWORD });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.id as number, email, name };
  };
  const tokenOf = async (email: string, password = PASSWORD) => {
    const res = await svc.call('POST', '/auth/token/login/', { email, password });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return { Authorization: `Token ${res.body.auth_token}` };
  };

  it('POST users/ takes name, email, password: errors in that order, no username', async () => {
    const empty = await svc.call('POST', '/auth/users/', {});
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.body, { name: REQUIRED, email: REQUIRED, password: REQUIRED });
    assert.deepEqual(Object.keys(empty.body), ['name', 'email', 'password']);
    const withUsername = await svc.call('POST', '/auth/users/', { username: 'alice', name: 'A', password: PASSWORD });
    assert.deepEqual(withUsername.body, { email: REQUIRED });
    const long = await svc.call('POST', '/auth/users/', { name: 'x'.repeat(256), email: `${unique()}@example.com`, password: PASSWORD });
    assert.deepEqual(long.body, { name: ['Ensure this field has no more than 255 characters.'] });
  });

  it('201 {name, email, id} with an integer id; email unique case-insensitively (deliberate: djoser compares exactly)', async () => {
    const user = await register();
    const again = await svc.call('POST', '/auth/users/', { name: 'B', email: user.email.toUpperCase(), password: PASSWORD });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, { email: [EMAIL_TAKEN] });
    const created = await svc.call('POST', '/auth/users/', { name: 'Carol', email: `${unique('c')}@Example.COM`, password: PASSWORD });
    assert.deepEqual(Object.keys(created.body), ['name', 'email', 'id']);
    assert.ok(Number.isSafeInteger(created.body.id) && created.body.id > user.id, 'ids in order');
    assert.match(created.body.email, /@example\.com$/, 'normalize_email lower-cases the domain');
  });

  it('users/me/: {name, id, email}; name writable (required on PUT), email read-only', async () => {
    const user = await register();
    const auth = await tokenOf(user.email);
    const me = await svc.call('GET', '/auth/users/me/', undefined, auth);
    assert.deepEqual(me.body, { name: user.name, id: user.id, email: user.email });
    assert.deepEqual(Object.keys(me.body), ['name', 'id', 'email']);
    const ignored = await svc.call('PATCH', '/auth/users/me/', { email: 'other@example.com' }, auth);
    assert.deepEqual(ignored.body, { name: user.name, id: user.id, email: user.email });
    const renamed = await svc.call('PATCH', '/auth/users/me/', { name: '  Alice L.  ' }, auth);
    assert.deepEqual(renamed.body, { name: 'Alice L.', id: user.id, email: user.email });
    const put = await svc.call('PUT', '/auth/users/me/', {}, auth);
    assert.equal(put.status, 400);
    assert.deepEqual(put.body, { name: REQUIRED });
    const blank = await svc.call('PATCH', '/auth/users/me/', { name: '' }, auth);
    assert.deepEqual(blank.body, { name: ['This field may not be blank.'] });
  });

  it('token/login/ and jwt/create/ take the email', async () => {
    const user = await register();
    assert.equal((await svc.call('POST', '/auth/token/login/', { username: user.email, password: PASSWORD })).status, 400);
    assert.deepEqual((await svc.call('POST', '/auth/token/login/', { email: user.email, password: 'wrong' })).body, CANNOT_LOG_IN);
    const jwt = await svc.call('POST', '/auth/jwt/create/', { email: user.email, password: PASSWORD });
    assert.equal(jwt.status, 200);
    assert.deepEqual((await svc.call('POST', '/auth/jwt/create/', {})).body, { email: REQUIRED, password: REQUIRED });
    const me = await svc.call('GET', '/auth/users/me/', undefined, { Authorization: `Bearer ${jwt.body.access}` });
    assert.equal(me.body.id, user.id);
  });

  it('users/set_username/ does not exist on this model: it is users/<id>/ with id "set_username"', async () => {
    const user = await register();
    const auth = await tokenOf(user.email);
    const post = await svc.call('POST', '/auth/users/set_username/', { current_password: PASSWORD, new_username: 'x' }, auth);
    assert.equal(post.status, 405);
    assert.equal((await svc.call('GET', '/auth/users/set_username/', undefined, auth)).status, 404);
  });
});

describe('email user model: set_email, reset_email, reset_email_confirm', () => {
  const svc = useService({ ...SEED_002, USERNAME_CHANGED_EMAIL_CONFIRMATION: 'true' });
  const barrier = mailBarrier(svc, { activation: false, extra: { name: 'Barrier' } });
  const signedIn = async () => {
    const email = `${unique('s')}@example.com`;
    const res = await svc.call('POST', '/auth/users/', { name: 'Sam', email, password: PASSWORD });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const login = await svc.call('POST', '/auth/token/login/', { email, password: PASSWORD });
    return { id: res.body.id as number, email, auth: { Authorization: `Token ${login.body.auth_token}` } };
  };
  const setEmail = (auth: Record<string, string>, body: unknown) => svc.call('POST', '/auth/users/set_email/', body, auth);

  it('field errors together: current_password, new_email; taken (your own address too) → new_email', async () => {
    const { email, auth } = await signedIn();
    assert.deepEqual((await setEmail(auth, {})).body, { current_password: REQUIRED, new_email: REQUIRED });
    assert.deepEqual((await setEmail(auth, { current_password: 'nope', new_email: 'not-an-email' })).body, {
      current_password: ['Invalid password.'],
      new_email: ['Enter a valid email address.'],
    });
    assert.deepEqual((await setEmail(auth, { current_password: PASSWORD, new_email: email })).body, { new_email: [EMAIL_TAKEN] });
  });

  it('204: the new address logs in, the old one not; the account stays active; the confirmation goes to the new address', async () => {
    const { id, email, auth } = await signedIn();
    const next = `${unique('n')}@example.com`;
    assert.equal((await setEmail(auth, { current_password: PASSWORD, new_email: next })).status, 204);
    assert.deepEqual((await svc.call('GET', '/auth/users/me/', undefined, auth)).body, { name: 'Sam', id, email: next });
    assert.equal((await svc.call('POST', '/auth/token/login/', { email: next, password: PASSWORD })).status, 200);
    assert.deepEqual((await svc.call('POST', '/auth/token/login/', { email, password: PASSWORD })).body, CANNOT_LOG_IN);
    const mail = await nthMailTo(svc, next, 1, 'Example - Your username has been successfully changed!');
    assert.deepEqual(mail.to, [next]);
    await barrier();
    // djoser tells the old address nothing; EMAIL_CHANGED_NOTICE (on by default) does.
    assert.deepEqual(
      mailsTo(svc, email).map((m) => m.subject),
      ['Example - The email address of your account was changed'],
    );
    // The old address is free again.
    assert.equal((await svc.call('POST', '/auth/users/', { name: 'New', email, password: PASSWORD })).status, 201);
  });

  it('reset_email → the email (link from USERNAME_RESET_CONFIRM_URL) → reset_email_confirm → 204, single use', async () => {
    const { email } = await signedIn();
    assert.equal((await svc.call('POST', '/auth/users/reset_email/', { email })).status, 204);
    const mail = await nthMailTo(svc, email, 1, 'Username reset on Example');
    const { uid, token } = linkParts(mail);
    assert.equal(linkIn(mail), `http://app.example.com/#/email/reset/confirm/${uid}/${token}`);
    assert.ok(mailText(mail).includes(`Your username, in case you've forgotten: ${email}`));
    assert.deepEqual((await svc.call('POST', '/auth/users/reset_email_confirm/', { uid, token })).body, { new_email: REQUIRED });
    const next = `${unique('r')}@example.com`;
    assert.equal((await svc.call('POST', '/auth/users/reset_email_confirm/', { uid, token, new_email: next })).status, 204);
    assert.equal((await svc.call('POST', '/auth/token/login/', { email: next, password: PASSWORD })).status, 200);
    const again = await svc.call('POST', '/auth/users/reset_email_confirm/', { uid, token, new_email: `${unique('x')}@example.com` });
    assert.deepEqual(again.body, INVALID_TOKEN);
  });
});

describe('email user model with REQUIRED_FIELDS empty', () => {
  const svc = useService({ USERNAME_FIELD: 'email', USER_FIELDS: 'name:255', REQUIRED_FIELDS: '' });

  it('POST users/ takes email and password; 201 {email, id}; users/me/ {id, email}', async () => {
    assert.deepEqual((await svc.call('POST', '/auth/users/', {})).body, { email: REQUIRED, password: REQUIRED });
    const email = `${unique('e')}@example.com`;
    const res = await svc.call('POST', '/auth/users/', { email, name: 'ignored', password: PASSWORD });
    assert.deepEqual(Object.keys(res.body), ['email', 'id']);
    const login = await svc.call('POST', '/auth/token/login/', { email, password: PASSWORD });
    const me = await svc.call('GET', '/auth/users/me/', undefined, { Authorization: `Token ${login.body.auth_token}` });
    assert.deepEqual(me.body, { id: res.body.id, email });
    assert.equal((await svc.call('PUT', '/auth/users/me/', {}, { Authorization: `Token ${login.body.auth_token}` })).status, 200);
  });
});
