// POST users/ (djoser's register) and the cross-cutting request rules: parsing, content types, sizes, URL shapes,
// 405/404. Expected bodies come from docs/djoser-reference.md §0 and §2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../support/service.js';
import { NOT_AUTHENTICATED, PASSWORD, TAKEN, USERNAME_INVALID, auth, login, register, unique } from './helpers.js';

const REQUIRED = 'This field is required.';
const NULL = 'This field may not be null.';
const BLANK = 'This field may not be blank.';
const NOT_STRING = 'Not a valid string.';
const BAD_EMAIL = 'Enter a valid email address.';

describe('POST users/ (default settings)', () => {
  const svc = useService();

  const post = (body: unknown, headers?: Record<string, string>) => svc.call('POST', '/auth/users/', body, headers);

  it("201 with {email, username, id} in that key order; ids are integers in order, as Django's AutoField", async () => {
    const username = unique('reg');
    const res = await post({ email: `${username}@example.com`, username, password: PASSWORD });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body), ['email', 'username', 'id']);
    assert.equal(res.body.email, `${username}@example.com`);
    assert.equal(res.body.username, username);
    assert.ok(Number.isSafeInteger(res.body.id) && res.body.id > 0, String(res.body.id));
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  });

  it('email may be omitted (→ "") or blank; the domain part is lower-cased, the local part kept', async () => {
    const a = await post({ username: unique('noemail'), password: PASSWORD });
    assert.equal(a.status, 201);
    assert.equal(a.body.email, '');
    const b = await post({ username: unique('blank'), email: '', password: PASSWORD });
    assert.equal(b.status, 201);
    assert.equal(b.body.email, '');
    const c = await post({ username: unique('mixed'), email: 'Mixed.Case@EXAMPLE.COM', password: PASSWORD });
    assert.equal(c.status, 201);
    assert.equal(c.body.email, 'Mixed.Case@example.com');
  });

  it('trims username and password (DRF CharField trim_whitespace)', async () => {
    const username = unique('trim');
    const res = await post({ username: `  ${username}  `, password: `  ${PASSWORD}  ` });
    assert.equal(res.status, 201);
    assert.equal(res.body.username, username);
    await login(svc, username, PASSWORD);
  });

  it('NFKC-normalises the stored username, as Django create_user does', async () => {
    const tail = unique('nf').slice(3);
    // Fullwidth "ｎｆ" is NFKC "nf".
    const res = await post({ username: `ｎｆ_${tail}`, password: PASSWORD });
    assert.equal(res.status, 201);
    assert.equal(res.body.username, `nf_${tail}`);
  });

  it('numbers are accepted as strings for CharFields', async () => {
    const n = Math.floor(Math.random() * 1e12);
    const res = await post({ username: n, password: PASSWORD });
    assert.equal(res.status, 201);
    assert.equal(res.body.username, String(n));
  });

  it("accepts every character Django's UnicodeUsernameValidator allows, up to 150 characters", async () => {
    const a = await post({ username: `a@b.c+d-e_${unique('').slice(2)}.`, password: PASSWORD });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    const b = await post({ username: `Ünïcødé_${unique('').slice(2)}`, password: PASSWORD });
    assert.equal(b.status, 201, JSON.stringify(b.body));
    const long = unique('l150');
    const c = await post({ username: long + 'x'.repeat(150 - long.length), password: PASSWORD });
    assert.equal(c.status, 201, JSON.stringify(c.body));
  });

  it('unknown and read-only fields are ignored', async () => {
    const username = unique('extra');
    const res = await post({
      username,
      password: PASSWORD,
      is_staff: true,
      is_superuser: true,
      id: 999,
      first_name: 'Zed',
      is_active: false,
    });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body), ['email', 'username', 'id']);
    assert.ok(Number.isSafeInteger(res.body.id), String(res.body.id));
    // is_active in the body did not deactivate the account.
    await login(svc, username);
  });

  describe('field errors (all together, in field order email, username, password)', () => {
    it('{} → username and password required', async () => {
      const res = await post({});
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { username: [REQUIRED], password: [REQUIRED] });
    });

    it('no body at all → the same required errors', async () => {
      const res = await svc.call('POST', '/auth/users/');
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { username: [REQUIRED], password: [REQUIRED] });
    });

    it('nulls', async () => {
      const res = await post({ email: null, username: null, password: null });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { email: [NULL], username: [NULL], password: [NULL] });
      assert.deepEqual(Object.keys(res.body), ['email', 'username', 'password']);
    });

    it('blank and whitespace-only values', async () => {
      const res = await post({ email: '  ', username: '   ', password: '' });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { username: [BLANK], password: [BLANK] });
    });

    it('invalid email and username together, email first', async () => {
      const res = await post({ username: 'bad name!', email: 'bad', password: PASSWORD });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { email: [BAD_EMAIL], username: [USERNAME_INVALID] });
      assert.deepEqual(Object.keys(res.body), ['email', 'username']);
    });

    it('lists, objects and booleans are not strings; for email the message is the email one', async () => {
      const res = await post({ email: true, username: true, password: [PASSWORD] });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { email: [BAD_EMAIL], username: [NOT_STRING], password: [NOT_STRING] });
      const n = await post({ email: 123, username: unique('n'), password: PASSWORD });
      assert.equal(n.status, 400);
      assert.deepEqual(n.body, { email: [BAD_EMAIL] });
    });

    it('operator-like values ({"$gt": ""}) are rejected as field errors, never used as queries', async () => {
      const res = await post({ username: { $gt: '' }, password: { $gt: '' } });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { username: [NOT_STRING], password: [NOT_STRING] });
      const email = await post({ email: { $ne: null }, username: unique('op'), password: PASSWORD });
      assert.equal(email.status, 400);
      assert.deepEqual(email.body, { email: [BAD_EMAIL] });
    });

    it('username longer than 150: max-length message; an invalid one gets the regex message first', async () => {
      const res = await post({ username: 'x'.repeat(151), password: PASSWORD });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { username: ['Ensure this field has no more than 150 characters.'] });
      const both = await post({ username: `${'x'.repeat(151)}!`, password: PASSWORD });
      assert.equal(both.status, 400);
      assert.deepEqual(both.body, { username: [USERNAME_INVALID, 'Ensure this field has no more than 150 characters.'] });
    });

    it("emails are judged as Django's EmailValidator judges them", async () => {
      // Each value is sent with a bad username, so no account is created: only whether `email` has an error matters.
      const valid = ['user@localhost', 'user@[127.0.0.1]', 'user@[::1]', 'user@bücher.de', 'first.last+tag@sub.example.co.uk'];
      const invalid = [
        'a..b@example.com',
        'ü@example.com',
        'a@b.c-',
        '"quoted local"@example.com',
        'x@example',
        'a@-b.com',
        'user@LOCALHOST',
      ];
      for (const email of [...valid, ...invalid]) {
        const res = await post({ email, username: 'bad name!', password: PASSWORD });
        assert.equal(res.status, 400, email);
        const expected = valid.includes(email) ? { username: [USERNAME_INVALID] } : { email: [BAD_EMAIL], username: [USERNAME_INVALID] };
        assert.deepEqual(res.body, expected, email);
      }
    });

    it('email longer than 254 characters: only the max-length message', async () => {
      const res = await post({ username: unique('le'), email: `${'a'.repeat(250)}@example.com`, password: PASSWORD });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { email: ['Ensure this field has no more than 254 characters.'] });
    });
  });

  describe('password validators (after field errors, all messages collected)', () => {
    it('"123" → too short, too common, entirely numeric', async () => {
      const res = await post({ username: unique('pv'), password: '123' });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        password: [
          'This password is too short. It must contain at least 8 characters.',
          'This password is too common.',
          'This password is entirely numeric.',
        ],
      });
    });

    it('too similar to the username / to the email address ("The password …")', async () => {
      const username = unique('simuser');
      const a = await post({ username, password: username });
      assert.equal(a.status, 400);
      assert.deepEqual(a.body, { password: ['The password is too similar to the username.'] });
      const b = await post({ username: unique('sim'), email: `${PASSWORD}@example.com`, password: PASSWORD });
      assert.equal(b.status, 400);
      assert.deepEqual(b.body, { password: ['The password is too similar to the email address.'] });
    });

    it('field errors win: a bad username with a weak password reports only the field error', async () => {
      const res = await post({ username: 'bad name!', password: '123' });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { username: [USERNAME_INVALID] });
    });

    it('password is validated after trimming', async () => {
      const res = await post({ username: unique('pt'), password: '   1234567   ' });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, {
        password: [
          'This password is too short. It must contain at least 8 characters.',
          'This password is too common.',
          'This password is entirely numeric.',
        ],
      });
    });
  });

  describe('duplicate usernames', () => {
    it('exact duplicate → "A user with that username already exists."', async () => {
      const { username } = await register(svc);
      const res = await post({ username, password: PASSWORD });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { username: [TAKEN] });
    });

    it('duplicate is reported together with other field errors', async () => {
      const { username } = await register(svc);
      const res = await post({ username, email: 'nope', password: PASSWORD });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { email: [BAD_EMAIL], username: [TAKEN] });
    });

    it('case-insensitive and NFKC duplicates are taken too (deliberate: djoser is case-sensitive)', async () => {
      // Deliberate deviation: usernames are unique after NFKC + lower-casing, so "Alice" and "alice" cannot be two
      // accounts (Django's default User would allow both).
      const { username } = await register(svc, { username: unique('casedup') });
      const upper = await post({ username: username.toUpperCase(), password: PASSWORD });
      assert.equal(upper.status, 400);
      assert.deepEqual(upper.body, { username: [TAKEN] });
      const fullwidth = [...username].map((c) => (/[a-z]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
      const nfkc = await post({ username: fullwidth, password: PASSWORD });
      assert.equal(nfkc.status, 400);
      assert.deepEqual(nfkc.body, { username: [TAKEN] });
    });

    it('concurrent registrations of one name: exactly one 201', async () => {
      const username = unique('race');
      const results = await Promise.all([0, 1, 2].map(() => post({ username, password: PASSWORD })));
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 400, 400]);
      for (const r of results.filter((r) => r.status === 400)) {
        // Either the unique check saw the winner, or the write-side reservation refused (djoser's IntegrityError path).
        assert.ok(
          JSON.stringify(r.body) === JSON.stringify({ username: [TAKEN] }) ||
            JSON.stringify(r.body) === JSON.stringify({ non_field_errors: ['Unable to create account.'] }),
          JSON.stringify(r.body),
        );
      }
    });
  });

  describe('body parsing', () => {
    it('malformed JSON → 400 {"detail": "JSON parse error - …"}', async () => {
      const res = await post('{bad json');
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.body), ['detail']);
      assert.match(res.body.detail, /^JSON parse error - ./);
    });

    it('JSON that is not an object → non_field_errors naming the Python type', async () => {
      for (const [raw, type] of [
        ['[1,2]', 'list'],
        ['"str"', 'str'],
        ['5', 'int'],
        ['1.5', 'float'],
        ['true', 'bool'],
      ] as const) {
        const res = await post(raw);
        assert.equal(res.status, 400, raw);
        assert.deepEqual(res.body, { non_field_errors: [`Invalid data. Expected a dictionary, but got ${type}.`] }, raw);
      }
    });

    it('JSON null → {"non_field_errors": ["No data provided"]}', async () => {
      const res = await post('null');
      assert.equal(res.status, 400);
      assert.deepEqual(res.body, { non_field_errors: ['No data provided'] });
    });

    it('text/plain → 415', async () => {
      const res = await svc.call('POST', '/auth/users/', 'hello', { 'content-type': 'text/plain' });
      assert.equal(res.status, 415);
      assert.deepEqual(res.body, { detail: 'Unsupported media type "text/plain" in request.' });
    });

    it('application/vnd.api+json → 415 (DRF parses only application/json)', async () => {
      const body = JSON.stringify({ username: unique('vnd'), password: PASSWORD });
      const res = await svc.call('POST', '/auth/users/', body, { 'content-type': 'application/vnd.api+json' });
      assert.equal(res.status, 415);
      assert.deepEqual(res.body, { detail: 'Unsupported media type "application/vnd.api+json" in request.' });
    });

    it('application/json with a charset and form-urlencoded bodies are accepted', async () => {
      const username = unique('cs');
      const a = await svc.call('POST', '/auth/users/', JSON.stringify({ username, password: PASSWORD }), {
        'content-type': 'application/json; charset=utf-8',
      });
      assert.equal(a.status, 201);
      const form = unique('form');
      const b = await svc.call('POST', '/auth/users/', `username=${form}&password=${PASSWORD}`, {
        'content-type': 'application/x-www-form-urlencoded',
      });
      assert.equal(b.status, 201);
      assert.deepEqual(b.body, { email: '', username: form, id: b.body.id });
    });

    it('body over 100 kB → 413', async () => {
      const res = await post({ username: unique('big'), password: PASSWORD, padding: 'x'.repeat(101 * 1024) });
      assert.equal(res.status, 413);
      assert.deepEqual(res.body, { detail: 'Request body too large.' });
    });

    it('a body just under the limit is fine (unknown field ignored)', async () => {
      const res = await post({ username: unique('nearly'), password: PASSWORD, padding: 'x'.repeat(90 * 1024) });
      assert.equal(res.status, 201);
    });
  });

  describe('authentication runs first, even on this AllowAny endpoint', () => {
    it('a bad token → 401 Invalid token., before the body is even parsed', async () => {
      const res = await post({ username: unique('x'), password: PASSWORD }, { Authorization: 'Token nope' });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { detail: 'Invalid token.' });
      assert.equal(res.headers.get('www-authenticate'), 'Token');
      const malformed = await post('{bad', { Authorization: 'Token nope' });
      assert.equal(malformed.status, 401);
      assert.deepEqual(malformed.body, { detail: 'Invalid token.' });
    });

    it('an authenticated user may register another account', async () => {
      const me = await register(svc);
      const res = await post({ username: unique('second'), password: PASSWORD }, auth(await login(svc, me.username)));
      assert.equal(res.status, 201);
    });
  });

  describe('URLs and methods', () => {
    it('the trailing slash is required on users/ routes', async () => {
      const res = await svc.call('POST', '/auth/users', { username: unique('slash'), password: PASSWORD });
      // djoser (Django's APPEND_SLASH) answers a 301 to the slashed URL, which loses a POST body; we answer 404.
      assert.equal(res.status, 404);
      assert.deepEqual(res.body, { detail: 'Not found.' });
      const me = await svc.call('GET', '/auth/users/me');
      assert.equal(me.status, 404);
    });

    it('unknown paths → 404 {"detail": "Not found."}', async () => {
      for (const path of ['/auth/nothing/', '/nothing', '/auth/token/nothing/']) {
        const res = await svc.call('GET', path);
        assert.equal(res.status, 404, path);
        assert.deepEqual(res.body, { detail: 'Not found.' }, path);
      }
    });

    it('unsupported method on a users/ route: anonymous → 401 (permission first), authenticated → 405 with Allow', async () => {
      const anon = await svc.call('GET', '/auth/users/activation/');
      assert.equal(anon.status, 401);
      assert.deepEqual(anon.body, NOT_AUTHENTICATED);
      assert.equal(anon.headers.get('www-authenticate'), 'Token');

      const token = await login(svc, (await register(svc)).username);
      const authed = await svc.call('GET', '/auth/users/activation/', undefined, auth(token));
      assert.equal(authed.status, 405);
      assert.deepEqual(authed.body, { detail: 'Method "GET" not allowed.' });
      assert.equal(authed.headers.get('allow'), 'POST, OPTIONS');

      const me = await svc.call('POST', '/auth/users/me/', {}, auth(token));
      assert.equal(me.status, 405);
      assert.deepEqual(me.body, { detail: 'Method "POST" not allowed.' });
      assert.equal(me.headers.get('allow'), 'GET, PUT, PATCH, DELETE, HEAD, OPTIONS');

      const put = await svc.call('PUT', '/auth/users/', {});
      assert.equal(put.status, 401);
      assert.deepEqual(put.body, NOT_AUTHENTICATED);
    });

    it('users/<id>/: anonymous → 401; authenticated → 404 (we expose no user detail route)', async () => {
      const anon = await svc.call('GET', '/auth/users/nope/');
      assert.equal(anon.status, 401);
      assert.deepEqual(anon.body, NOT_AUTHENTICATED);
      const token = await login(svc, (await register(svc)).username);
      const authed = await svc.call('GET', '/auth/users/nope/', undefined, auth(token));
      assert.equal(authed.status, 404);
      assert.deepEqual(authed.body, { detail: 'Not found.' });
    });

    it('token/login and jwt/*: GET → 405 directly', async () => {
      for (const path of ['/auth/token/login/', '/auth/jwt/create/', '/auth/jwt/refresh/', '/auth/jwt/verify/']) {
        const res = await svc.call('GET', path);
        assert.equal(res.status, 405, path);
        assert.deepEqual(res.body, { detail: 'Method "GET" not allowed.' }, path);
        assert.equal(res.headers.get('allow'), 'POST, OPTIONS', path);
      }
    });

    it('token/logout: anonymous GET → 401 (IsAuthenticated first), authenticated GET → 405', async () => {
      const anon = await svc.call('GET', '/auth/token/logout/');
      assert.equal(anon.status, 401);
      assert.deepEqual(anon.body, NOT_AUTHENTICATED);
      const token = await login(svc, (await register(svc)).username);
      const authed = await svc.call('GET', '/auth/token/logout/', undefined, auth(token));
      assert.equal(authed.status, 405);
      assert.deepEqual(authed.body, { detail: 'Method "GET" not allowed.' });
    });

    it("token/login/ and jwt/create/ also answer without the trailing slash (djoser's `/?` patterns)", async () => {
      const { username } = await register(svc);
      const a = await svc.call('POST', '/auth/token/login', { username, password: PASSWORD });
      assert.equal(a.status, 200, JSON.stringify(a.body));
      const b = await svc.call('POST', '/auth/jwt/create', { username, password: PASSWORD });
      assert.equal(b.status, 200, JSON.stringify(b.body));
    });
  });
});

describe('POST users/ with USER_CREATE_PASSWORD_RETYPE', () => {
  const svc = useService({ USER_CREATE_PASSWORD_RETYPE: 'true' });

  it('re_password is required (with the other field errors)', async () => {
    const a = await svc.call('POST', '/auth/users/', { username: unique('rt'), password: PASSWORD });
    assert.equal(a.status, 400);
    assert.deepEqual(a.body, { re_password: [REQUIRED] });
    const b = await svc.call('POST', '/auth/users/', {});
    assert.equal(b.status, 400);
    assert.deepEqual(b.body, { username: [REQUIRED], password: [REQUIRED], re_password: [REQUIRED] });
    assert.deepEqual(Object.keys(b.body), ['username', 'password', 're_password']);
  });

  it('mismatch → non_field_errors, checked after the password validators', async () => {
    const a = await svc.call('POST', '/auth/users/', { username: unique('rt'), password: PASSWORD, re_password: `${PASSWORD}x` });
    assert.equal(a.status, 400);
    assert.deepEqual(a.body, { non_field_errors: ["The two password fields didn't match."] });
    const b = await svc.call('POST', '/auth/users/', { username: unique('rt'), password: '123', re_password: '456' });
    assert.equal(b.status, 400);
    assert.deepEqual(b.body, {
      password: [
        'This password is too short. It must contain at least 8 characters.',
        'This password is too common.',
        'This password is entirely numeric.',
      ],
    });
  });

  it('matching (after trimming) → 201 without re_password in the body', async () => {
    const username = unique('rt');
    const res = await svc.call('POST', '/auth/users/', { username, password: PASSWORD, re_password: ` ${PASSWORD} ` });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body), ['email', 'username', 'id']);
  });
});

describe('POST users/ with EMAIL_UNIQUE (authstream setting)', () => {
  const svc = useService({ EMAIL_UNIQUE: 'true' });

  it('email is required and may not be blank', async () => {
    const a = await svc.call('POST', '/auth/users/', { username: unique('eu'), password: PASSWORD });
    assert.equal(a.status, 400);
    assert.deepEqual(a.body, { email: [REQUIRED] });
    const b = await svc.call('POST', '/auth/users/', { username: unique('eu'), email: '', password: PASSWORD });
    assert.equal(b.status, 400);
    assert.deepEqual(b.body, { email: [BLANK] });
  });

  it("a taken email (compared case-insensitively) → Django's unique message for the email field", async () => {
    const first = await register(svc, { username: unique('eu') });
    const res = await svc.call('POST', '/auth/users/', { username: unique('eu'), email: first.email.toUpperCase(), password: PASSWORD });
    assert.equal(res.status, 400);
    assert.deepEqual(res.body, { email: ['user with this email address already exists.'] });
    const both = await svc.call('POST', '/auth/users/', { username: first.username, email: first.email, password: PASSWORD });
    assert.equal(both.status, 400);
    assert.deepEqual(both.body, { email: ['user with this email address already exists.'], username: [TAKEN] });
  });

  it('a fresh email registers', async () => {
    const username = unique('eu');
    const res = await svc.call('POST', '/auth/users/', { username, email: `${username}@example.com`, password: PASSWORD });
    assert.equal(res.status, 201);
  });
});
