// users/set_username/, users/reset_username/, users/reset_username_confirm/ (docs/djoser-reference.md §11, §12).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../support/service.js';
import { linkIn } from '../support/smtp.js';
import {
  CANNOT_LOG_IN,
  INVALID_TOKEN,
  INVALID_UID,
  NOT_AUTHENTICATED,
  PASSWORD,
  SITE,
  TAKEN,
  USERNAME_INVALID,
  auth,
  linkParts,
  login,
  mailBarrier,
  mailsTo,
  mailText,
  nthMailTo,
  register,
  unique,
} from './helpers.js';

const RESET_SUBJECT = 'Username reset on Example';
const CHANGED_SUBJECT = 'Example - Your username has been successfully changed!';

describe('usernames (default settings)', () => {
  const svc = useService(SITE);
  const barrier = mailBarrier(svc, { activation: false });

  const setUsername = (token: string, body: unknown) => svc.call('POST', '/auth/users/set_username/', body, auth(token));
  const resetConfirm = (body: unknown) => svc.call('POST', '/auth/users/reset_username_confirm/', body);
  const signedIn = async () => {
    const user = await register(svc);
    return { user, token: await login(svc, user.username) };
  };

  /** After a rename: the new name logs in, the old one does not, and the old one can be registered again. */
  async function renamed(oldName: string, newName: string, password = PASSWORD) {
    await login(svc, newName, password);
    const old = await svc.call('POST', '/auth/token/login/', { username: oldName, password });
    assert.equal(old.status, 400);
    assert.deepEqual(old.body, CANNOT_LOG_IN);
    const reuse = await svc.call('POST', '/auth/users/', { username: oldName, password: PASSWORD });
    assert.equal(reuse.status, 201, `old name free again: ${JSON.stringify(reuse.body)}`);
  }

  describe('set_username', () => {
    it('204; me shows the new name; login works with the new name; the old name is free', async () => {
      const { user, token } = await signedIn();
      const newName = unique('renamed');
      const res = await setUsername(token, { current_password: PASSWORD, new_username: newName });
      assert.equal(res.status, 204);
      assert.equal(res.body, null);
      assert.deepEqual((await svc.call('GET', '/auth/users/me/', undefined, auth(token))).body, {
        email: user.email,
        id: user.id,
        username: newName,
      });
      await renamed(user.username, newName);
      await barrier();
      assert.equal(mailsTo(svc, user.email).length, 0, 'no email by default');
    });

    it('anonymous → 401', async () => {
      const res = await svc.call('POST', '/auth/users/set_username/', { current_password: PASSWORD, new_username: unique('x') });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, NOT_AUTHENTICATED);
    });

    it('field errors together, in field order current_password, new_username', async () => {
      const { token } = await signedIn();
      const a = await setUsername(token, {});
      assert.equal(a.status, 400);
      assert.deepEqual(a.body, { current_password: ['This field is required.'], new_username: ['This field is required.'] });
      assert.deepEqual(Object.keys(a.body), ['current_password', 'new_username']);
      const b = await setUsername(token, { current_password: 'wrong', new_username: 'bad name!' });
      assert.deepEqual(b.body, { current_password: ['Invalid password.'], new_username: [USERNAME_INVALID] });
      assert.deepEqual(Object.keys(b.body), ['current_password', 'new_username']);
      const c = await setUsername(token, { current_password: PASSWORD, new_username: 'x'.repeat(151) });
      assert.deepEqual(c.body, { new_username: ['Ensure this field has no more than 150 characters.'] });
      const d = await setUsername(token, { new_username: { $gt: '' }, current_password: null });
      assert.deepEqual(d.body, { current_password: ['This field may not be null.'], new_username: ['Not a valid string.'] });
    });

    it('your own current name → "already exists" (DRF UniqueValidator has no instance here)', async () => {
      const { user, token } = await signedIn();
      const res = await setUsername(token, { current_password: PASSWORD, new_username: user.username });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { new_username: [TAKEN] });
    });

    it("another user's name → already exists; with a wrong password both errors", async () => {
      const other = await register(svc);
      const { token } = await signedIn();
      const a = await setUsername(token, { current_password: PASSWORD, new_username: other.username });
      assert.equal(a.status, 400);
      assert.deepEqual(a.body, { new_username: [TAKEN] });
      const b = await setUsername(token, { current_password: 'wrong', new_username: other.username });
      assert.deepEqual(b.body, { current_password: ['Invalid password.'], new_username: [TAKEN] });
    });

    it('names differing only in case (or NFKC) are taken, your own included (deliberate: case-insensitive usernames)', async () => {
      // djoser would accept "ALICE" for alice (a different string); our usernames are unique after NFKC + lower-case.
      const other = await register(svc);
      const { user, token } = await signedIn();
      for (const name of [other.username.toUpperCase(), user.username.toUpperCase()]) {
        const res = await setUsername(token, { current_password: PASSWORD, new_username: name });
        assert.equal(res.status, 400, name);
        assert.deepEqual(res.body, { new_username: [TAKEN] }, name);
      }
    });

    it('the new name is trimmed and stored in NFKC (deliberate, #10.9: djoser stores it as given, unvalidated in NFKC)', async () => {
      const { user, token } = await signedIn();
      const tail = unique('').slice(2);
      const fullwidth = `ｆｗ_${tail}`;
      assert.equal((await setUsername(token, { current_password: ` ${PASSWORD} `, new_username: `  ${fullwidth} ` })).status, 204);
      assert.equal((await svc.call('GET', '/auth/users/me/', undefined, auth(token))).body.username, `fw_${tail}`);
      // Lookups go by the normalised key, so the ASCII spelling logs in and is taken.
      await login(svc, `fw_${tail}`);
      const taken = await svc.call('POST', '/auth/users/', { username: `fw_${tail}`, password: PASSWORD });
      assert.deepEqual(taken.body, { username: [TAKEN] });
      await renamed(user.username, fullwidth);
    });
  });

  describe('reset_username → email → reset_username_confirm', () => {
    it('204; email with the link; confirm → 204; login with the new name; the old name is free', async () => {
      const user = await register(svc);
      const res = await svc.call('POST', '/auth/users/reset_username/', { email: user.email });
      assert.equal(res.status, 204);
      assert.equal(res.body, null);
      const mail = await nthMailTo(svc, user.email);
      assert.equal(mail.subject, RESET_SUBJECT);
      const { uid, token } = linkParts(mail);
      assert.equal(linkIn(mail), `http://app.example.com/#/username/reset/confirm/${uid}/${token}`);
      const text = mailText(mail);
      assert.ok(text.startsWith("You're receiving this email because you requested a username reset for your user account at Example."));
      assert.ok(text.includes('Please go to the following page and choose a new username:'));
      assert.ok(text.includes(`Your username, in case you've forgotten: ${user.username}`));

      const newName = unique('reset');
      const confirm = await resetConfirm({ uid, token, new_username: newName });
      assert.equal(confirm.status, 204);
      assert.equal(confirm.body, null);
      await renamed(user.username, newName);
    });

    it('the link is single-use', async () => {
      const user = await register(svc);
      await svc.call('POST', '/auth/users/reset_username/', { email: user.email });
      const parts = linkParts(await nthMailTo(svc, user.email));
      assert.equal((await resetConfirm({ ...parts, new_username: unique('once') })).status, 204);
      const again = await resetConfirm({ ...parts, new_username: unique('twice') });
      assert.equal(again.status, 400);
      assert.deepEqual(again.body, INVALID_TOKEN);
    });

    it('uid and token are never "required": {} → only new_username; missing uid → invalid uid; missing token → invalid token', async () => {
      const a = await resetConfirm({});
      assert.equal(a.status, 400);
      assert.deepEqual(a.body, { new_username: ['This field is required.'] });
      const b = await resetConfirm({ new_username: unique('x') });
      assert.deepEqual(b.body, INVALID_UID);
      const c = await resetConfirm({ new_username: unique('x'), uid: null, token: ['x'] });
      assert.deepEqual(c.body, INVALID_UID);
      const user = await register(svc);
      const d = await resetConfirm({ new_username: unique('x'), uid: Buffer.from(String(user.id)).toString('base64url') });
      assert.equal(d.status, 400);
      assert.deepEqual(d.body, INVALID_TOKEN);
    });

    it('new_username errors (format, taken, your own) come before the uid check', async () => {
      const user = await register(svc);
      const a = await resetConfirm({ new_username: 'bad name!', uid: 'zz', token: 'bad' });
      assert.deepEqual(a.body, { new_username: [USERNAME_INVALID] });
      await svc.call('POST', '/auth/users/reset_username/', { email: user.email });
      const parts = linkParts(await nthMailTo(svc, user.email));
      const b = await resetConfirm({ ...parts, new_username: user.username });
      assert.equal(b.status, 400);
      assert.deepEqual(b.body, { new_username: [TAKEN] });
      const c = await resetConfirm({ uid: 'zz', token: 'bad', new_username: user.username.toUpperCase() });
      assert.deepEqual(c.body, { new_username: [TAKEN] });
      assert.equal((await resetConfirm({ ...parts, new_username: unique('ok') })).status, 204, 'the link was not used up');
    });

    it('a password-reset token does not reset the username (deliberate: per-purpose tokens)', async () => {
      const user = await register(svc);
      await svc.call('POST', '/auth/users/reset_password/', { email: user.email });
      const parts = linkParts(await nthMailTo(svc, user.email, 1, 'Password reset on Example'));
      const res = await resetConfirm({ ...parts, new_username: unique('x') });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, INVALID_TOKEN);
    });

    it('reset_username: unknown address → 204 without email; field errors', async () => {
      const unknown = `${unique('nobody')}@example.com`;
      assert.equal((await svc.call('POST', '/auth/users/reset_username/', { email: unknown })).status, 204);
      const a = await svc.call('POST', '/auth/users/reset_username/', {});
      assert.deepEqual(a.body, { email: ['This field is required.'] });
      const b = await svc.call('POST', '/auth/users/reset_username/', { email: 'bad' });
      assert.deepEqual(b.body, { email: ['Enter a valid email address.'] });
      await barrier();
      assert.equal(mailsTo(svc, unknown).length, 0);
    });
  });
});

describe('usernames with SET_USERNAME_RETYPE, USERNAME_RESET_CONFIRM_RETYPE, USERNAME_CHANGED_EMAIL_CONFIRMATION', () => {
  const svc = useService({
    SET_USERNAME_RETYPE: 'true',
    USERNAME_RESET_CONFIRM_RETYPE: 'true',
    USERNAME_CHANGED_EMAIL_CONFIRMATION: 'true',
    ...SITE,
  });

  it('set_username: re_new_username required (after current_password, new_username); mismatch → non_field_errors', async () => {
    const user = await register(svc);
    const token = await login(svc, user.username);
    const post = (body: unknown) => svc.call('POST', '/auth/users/set_username/', body, auth(token));
    const a = await post({});
    assert.deepEqual(a.body, {
      current_password: ['This field is required.'],
      new_username: ['This field is required.'],
      re_new_username: ['This field is required.'],
    });
    assert.deepEqual(Object.keys(a.body), ['current_password', 'new_username', 're_new_username']);
    const b = await post({ current_password: PASSWORD, new_username: unique('a'), re_new_username: 'bad name!' });
    assert.equal(b.status, 400);
    assert.deepEqual(b.body, { non_field_errors: ["The two username fields didn't match."] });
    const name = unique('retyped');
    const c = await post({ current_password: PASSWORD, new_username: name, re_new_username: ` ${name} ` });
    assert.equal(c.status, 204);
    const mail = await nthMailTo(svc, user.email);
    assert.equal(mail.subject, CHANGED_SUBJECT);
    assert.equal(mailText(mail), ['Your username has been changed!', '', 'Thanks for using our site!', '', 'The Example team'].join('\n'));
  });

  it('reset_username_confirm: {} → new_username and re_new_username required; mismatch before uid; success emails', async () => {
    const a = await svc.call('POST', '/auth/users/reset_username_confirm/', {});
    assert.deepEqual(a.body, { new_username: ['This field is required.'], re_new_username: ['This field is required.'] });
    const b = await svc.call('POST', '/auth/users/reset_username_confirm/', { new_username: 'a1', re_new_username: 'a2' });
    assert.deepEqual(b.body, { non_field_errors: ["The two username fields didn't match."] });
    const user = await register(svc);
    await svc.call('POST', '/auth/users/reset_username/', { email: user.email });
    const parts = linkParts(await nthMailTo(svc, user.email, 1, RESET_SUBJECT));
    const name = unique('viaReset');
    const c = await svc.call('POST', '/auth/users/reset_username_confirm/', { ...parts, new_username: name, re_new_username: name });
    assert.equal(c.status, 204);
    assert.equal((await nthMailTo(svc, user.email, 1, CHANGED_SUBJECT)).subject, CHANGED_SUBJECT);
    await login(svc, name);
  });
});

describe('reset_username with *_SHOW_EMAIL_NOT_FOUND', () => {
  for (const flag of ['PASSWORD_RESET_SHOW_EMAIL_NOT_FOUND', 'USERNAME_RESET_SHOW_EMAIL_NOT_FOUND']) {
    describe(flag, () => {
      const svc = useService({ [flag]: 'true', ...SITE });

      it('unknown address → 400 bare list; known → 204', async () => {
        const a = await svc.call('POST', '/auth/users/reset_username/', { email: `${unique('nobody')}@example.com` });
        assert.equal(a.status, 400);
        assert.deepEqual(a.body, ['User with given email does not exist.']);
        const user = await register(svc);
        const b = await svc.call('POST', '/auth/users/reset_username/', { email: user.email });
        assert.equal(b.status, 204);
      });
    });
  }
});

describe('concurrent renames to one name', () => {
  // A short read-your-writes wait: when this race goes wrong the read model stops applying events.
  const svc = useService({ ...SITE, READ_YOUR_WRITES_TIMEOUT_MS: '1000' });

  it('exactly one wins, the other gets "already exists"', async () => {
    const signedIn = async () => {
      const user = await register(svc);
      return { user, token: await login(svc, user.username) };
    };
    const a = await signedIn();
    const b = await signedIn();
    // A race: a few rounds make a lost one likely to show.
    for (let round = 0; round < 10; round++) {
      const name = unique('contested');
      const results = await Promise.all(
        [a, b].map(({ token }) =>
          svc.call('POST', '/auth/users/set_username/', { current_password: PASSWORD, new_username: name }, auth(token)),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [204, 400], `round ${round}`);
      assert.deepEqual(results.find((r) => r.status === 400)!.body, { new_username: [TAKEN] });
    }
  });
});
