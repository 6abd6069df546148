// Issue 10's attacks, replayed: brute force meets throttles and a lock; reset floods do not hurt the owner; JWTs die
// with a reset, a deactivation and a logout; sessions can be listed and ended; an email change is told to the old
// address; look-alike usernames are refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../support/service.js';
import {
  CANNOT_LOG_IN,
  PASSWORD,
  SITE,
  auth,
  bearer,
  decodeJwt,
  jwtPair,
  linkParts,
  login,
  mailBarrier,
  mailsTo,
  mailText,
  nthMailTo,
  register,
  unique,
} from './helpers.js';

const NEW_PASSWORD = 'Abc-new-pass-77';
const THROTTLED = /^Request was throttled\. Expected available in \d+ seconds?\.$/;

describe('brute force: the account locks after LOCKOUT_THRESHOLD failures', () => {
  const svc = useService({
    ...SITE,
    LOCKOUT_THRESHOLD: '3',
    LOCKOUT_DURATION: '60',
    DEFAULT_THROTTLE_RATES: 'login:none,login_account:none',
  });
  const tokenLogin = (username: string, password: string) => svc.call('POST', '/auth/token/login/', { username, password });

  it('after the threshold even the right password answers exactly like a wrong one; every attempt is an event', async () => {
    const user = await register(svc);
    for (let i = 0; i < 3; i++) assert.deepEqual((await tokenLogin(user.username, 'wrong')).body, CANNOT_LOG_IN);
    const locked = await tokenLogin(user.username, PASSWORD);
    assert.equal(locked.status, 400);
    assert.deepEqual(locked.body, CANNOT_LOG_IN);
    const jwt = await svc.call('POST', '/auth/jwt/create/', { username: user.username, password: PASSWORD });
    assert.equal(jwt.status, 401, 'jwt/create is locked out too');
    const types: string[] = [];
    for (const e of await svc.store.readStream(`user-${user.id}`)) types.push(`${e.type}${e.data.reason ? `:${e.data.reason}` : ''}`);
    assert.deepEqual(types.slice(1), [
      'LoginFailed:password',
      'LoginFailed:password',
      'LoginFailed:password',
      'AccountLocked',
      'LoginFailed:locked',
      'LoginFailed:locked',
    ]);
  });

  it('a password reset lifts the lock; so does staff', async () => {
    const user = await register(svc);
    for (let i = 0; i < 3; i++) await tokenLogin(user.username, 'wrong');
    await svc.call('POST', '/auth/users/reset_password/', { email: user.email });
    const { uid, token } = linkParts(await nthMailTo(svc, user.email));
    assert.equal((await svc.call('POST', '/auth/users/reset_password_confirm/', { uid, token, new_password: NEW_PASSWORD })).status, 204);
    assert.equal((await tokenLogin(user.username, NEW_PASSWORD)).status, 200);

    const other = await register(svc);
    for (let i = 0; i < 3; i++) await tokenLogin(other.username, 'wrong');
    const boss = await svc.useCases!.registration.createSuperuser({ username: unique('boss'), email: '', password: PASSWORD });
    const bossToken = await login(svc, boss.username);
    assert.equal((await svc.call('POST', `/auth/users/${other.id}/unlock/`, undefined, auth(bossToken))).status, 204);
    assert.equal((await tokenLogin(other.username, PASSWORD)).status, 200);
  });
});

describe('brute force: throttles per login name, DRF style', () => {
  const svc = useService({ DEFAULT_THROTTLE_RATES: 'login:none,login_account:3/min', LOCKOUT_THRESHOLD: '100' });

  it('failed logins for one name: 429 with Retry-After and DRF body after the rate; right passwords are not counted', async () => {
    const user = await register(svc);
    for (let i = 0; i < 5; i++)
      assert.equal((await svc.call('POST', '/auth/token/login/', { username: user.username, password: PASSWORD })).status, 200);
    for (let i = 0; i < 3; i++)
      assert.equal((await svc.call('POST', '/auth/token/login/', { username: user.username, password: 'x' })).status, 400);
    const over = await svc.call('POST', '/auth/token/login/', { username: user.username.toUpperCase(), password: PASSWORD });
    assert.equal(over.status, 429);
    assert.match(over.body.detail, THROTTLED);
    assert.ok(Number(over.headers.get('retry-after')) >= 1);
  });
});

describe('brute force: throttles per client IP', () => {
  const svc = useService({ DEFAULT_THROTTLE_RATES: 'login:3/min,login_account:none', LOCKOUT_THRESHOLD: '100' });

  it('failed logins from one address across names: 429 after the per-IP rate (jwt/create counts too)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await svc.call('POST', '/auth/jwt/create/', { username: unique('nobody'), password: 'x' })).status);
    assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
    assert.ok(statuses.includes(429), String(statuses));
  });
});

describe('floods: reset requests for one address append once per window and never hurt the owner', () => {
  // The per-IP throttle off: this is about what a flood that gets through does.
  const svc = useService({ ...SITE, DEFAULT_THROTTLE_RATES: 'email_request:none' });
  const barrier = mailBarrier(svc, { activation: false });

  it('200 requests (16 at a time) → all 204, one email, nothing appended to the account; set_password and login meanwhile', async () => {
    const user = await register(svc);
    const token = await login(svc, user.username);
    const before = (await svc.store.readStream(`user-${user.id}`)).length;
    const flood = async () => {
      for (let i = 0; i < 200 / 16; i++) {
        const res = await svc.call('POST', '/auth/users/reset_password/', { email: user.email });
        assert.equal(res.status, 204, JSON.stringify(res.body));
      }
    };
    const owner = async () => {
      const set = await svc.call(
        'POST',
        '/auth/users/set_password/',
        { new_password: NEW_PASSWORD, current_password: PASSWORD },
        auth(token),
      );
      assert.equal(set.status, 204, JSON.stringify(set.body));
      assert.equal((await svc.call('POST', '/auth/token/login/', { username: user.username, password: NEW_PASSWORD })).status, 200);
    };
    await Promise.all([...Array.from({ length: 16 }, flood), owner()]);
    await barrier();
    assert.equal(mailsTo(svc, user.email).filter((m) => m.subject === 'Password reset on Example').length, 1);
    const appended = (await svc.store.readStream(`user-${user.id}`)).slice(before).map((e) => e.type);
    assert.equal(appended.filter((t) => t === 'PasswordResetRequested').length, 1, appended.join(','));
  });

  it('an unknown address is answered the same (204), and does the same work: one request recorded on its own stream', async () => {
    const res = await svc.call('POST', '/auth/users/reset_password/', { email: `${unique('ghost')}@example.com` });
    assert.equal(res.status, 204);
  });
});

describe('JWT lifecycle: revocation, rotation, blacklist, sessions', () => {
  const svc = useService({ ...SITE, ROTATE_REFRESH_TOKENS: 'true', BLACKLIST_AFTER_ROTATION: 'true' });
  const refresh = (token: string) => svc.call('POST', '/auth/jwt/refresh/', { refresh: token });
  const me = (access: string) => svc.call('GET', '/auth/users/me/', undefined, bearer(access));

  it('a password reset kills every access and refresh token issued before it, at once', async () => {
    const user = await register(svc);
    const old = await jwtPair(svc, user.username);
    await svc.call('POST', '/auth/users/reset_password/', { email: user.email });
    const { uid, token } = linkParts(await nthMailTo(svc, user.email));
    assert.equal((await svc.call('POST', '/auth/users/reset_password_confirm/', { uid, token, new_password: NEW_PASSWORD })).status, 204);
    assert.equal((await me(old.access)).status, 401);
    assert.deepEqual((await refresh(old.refresh)).body, { detail: 'Token is blacklisted', code: 'token_not_valid' });
    assert.equal((await svc.call('POST', '/auth/jwt/verify/', { token: old.access })).status, 401);
    const fresh = await jwtPair(svc, user.username, NEW_PASSWORD);
    assert.equal((await me(fresh.access)).status, 200);
  });

  it('set_password ends every other session (JWT sessions elsewhere), keeping the one it was made in', async () => {
    const user = await register(svc);
    const mine = await jwtPair(svc, user.username);
    const elsewhere = await jwtPair(svc, user.username);
    const changed = await svc.call(
      'POST',
      '/auth/users/set_password/',
      { new_password: NEW_PASSWORD, current_password: PASSWORD },
      bearer(mine.access),
    );
    assert.equal(changed.status, 204);
    assert.equal((await me(mine.access)).status, 200, 'the session the change was made in goes on');
    assert.equal((await refresh(mine.refresh)).status, 200);
    assert.equal((await me(elsewhere.access)).status, 401, "another session's access token dies at once");
    assert.deepEqual((await refresh(elsewhere.refresh)).body, { detail: 'Token is blacklisted', code: 'token_not_valid' });
  });

  it('rotation: a new refresh token each time; the replaced one used again revokes the whole session', async () => {
    const user = await register(svc);
    const first = await jwtPair(svc, user.username);
    const rotated = await refresh(first.refresh);
    assert.equal(rotated.status, 200);
    assert.ok(rotated.body.refresh && rotated.body.access);
    const reuse = await refresh(first.refresh);
    assert.equal(reuse.status, 401);
    assert.equal((await refresh(rotated.body.refresh)).status, 401, 'the family is revoked');
    assert.equal((await me(rotated.body.access)).status, 401);
    const another = await jwtPair(svc, user.username);
    assert.equal((await me(another.access)).status, 200, 'other sessions live on');
  });

  it('jwt/blacklist/ logs a session out: its refresh and access tokens stop working; twice is 401', async () => {
    const user = await register(svc);
    const pair = await jwtPair(svc, user.username);
    const res = await svc.call('POST', '/auth/jwt/blacklist/', { refresh: pair.refresh });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {});
    assert.equal((await me(pair.access)).status, 401);
    assert.equal((await svc.call('POST', '/auth/jwt/blacklist/', { refresh: pair.refresh })).status, 401);
  });

  it('users/me/sessions/ lists the DRF token and JWT sessions (with IP and user agent); one or all can be ended', async () => {
    const user = await register(svc);
    const token = await login(svc, user.username);
    const a = await svc.call('POST', '/auth/jwt/create/', { username: user.username, password: PASSWORD }, { 'User-Agent': 'laptop' });
    const b = await svc.call('POST', '/auth/jwt/create/', { username: user.username, password: PASSWORD }, { 'User-Agent': 'phone' });
    const list = await svc.call('GET', '/auth/users/me/sessions/', undefined, auth(token));
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.body.map((s: { kind: string }) => s.kind),
      ['token', 'jwt', 'jwt'],
    );
    const phone = list.body.find((s: { user_agent: string }) => s.user_agent === 'phone');
    assert.equal(phone.ip, '127.0.0.1');
    assert.equal((await svc.call('DELETE', `/auth/users/me/sessions/${phone.id}/`, undefined, auth(token))).status, 204);
    assert.equal((await me(b.body.access)).status, 401);
    assert.equal((await me(a.body.access)).status, 200);
    assert.equal((await svc.call('DELETE', '/auth/users/me/sessions/nope/', undefined, auth(token))).status, 404);
    assert.equal((await svc.call('DELETE', '/auth/users/me/sessions/', undefined, bearer(a.body.access))).status, 204);
    assert.equal((await me(a.body.access)).status, 401);
    assert.equal((await svc.call('GET', '/auth/users/me/', undefined, auth(token))).status, 401);
  });

  it('a staff deactivation kills the JWTs, and they stay dead after the reactivation', async () => {
    const user = await register(svc);
    const pair = await jwtPair(svc, user.username);
    const boss = await svc.useCases!.registration.createSuperuser({ username: unique('boss'), email: '', password: PASSWORD });
    const bossToken = await login(svc, boss.username);
    await svc.call('POST', `/auth/users/${user.id}/deactivate/`, undefined, auth(bossToken));
    await svc.call('POST', `/auth/users/${user.id}/reactivate/`, undefined, auth(bossToken));
    assert.equal((await me(pair.access)).status, 401);
    assert.equal((await refresh(pair.refresh)).status, 401);
  });
});

describe('MAX_SESSIONS_PER_USER: a login past it revokes the oldest session', () => {
  const svc = useService({ ...SITE, MAX_SESSIONS_PER_USER: '2' });
  const me = (access: string) => svc.call('GET', '/auth/users/me/', undefined, bearer(access));

  it("the third login ends the first one's refresh and access tokens; the two newest live on and are listed", async () => {
    const user = await register(svc);
    const first = await jwtPair(svc, user.username);
    const second = await jwtPair(svc, user.username);
    const third = await jwtPair(svc, user.username);
    assert.equal((await me(first.access)).status, 401);
    const refreshed = await svc.call('POST', '/auth/jwt/refresh/', { refresh: first.refresh });
    assert.equal(refreshed.status, 401);
    assert.equal(refreshed.body.detail, 'Token is blacklisted');
    assert.equal((await svc.call('POST', '/auth/jwt/verify/', { token: first.access })).status, 401);
    for (const live of [second, third]) {
      assert.equal((await me(live.access)).status, 200);
      assert.equal((await svc.call('POST', '/auth/jwt/refresh/', { refresh: live.refresh })).status, 200);
    }
    const list = await svc.call('GET', '/auth/users/me/sessions/', undefined, bearer(third.access));
    assert.deepEqual(
      list.body.map((s: { id: string }) => s.id).sort(),
      [decodeJwt(second.access).payload.sid, decodeJwt(third.access).payload.sid].sort(),
    );
  });
});

describe('ended sessions: refused by every instance for as long as one of their access tokens can live, no longer', () => {
  let clock = Date.parse('2026-06-01T12:00:00.000Z');
  const svc = useService({ ...SITE, MAX_SESSIONS_PER_USER: '1', ACCESS_TOKEN_LIFETIME: '300' }, { now: () => new Date(clock) });
  const me = (access: string) => svc.call('GET', '/auth/users/me/', undefined, bearer(access));
  const revokedInReadModel = async (id: string | number) => (await svc.readModel.findUserById(String(id)))!.revokedSessions;

  it('the access exp is the one the log recorded; a session pushed out after it adds nothing, one still in use is refused', async () => {
    const user = await register(svc);
    const first = await jwtPair(svc, user.username);
    const firstSid = decodeJwt(first.access).payload.sid as string;
    const started = [];
    for await (const e of svc.store.readAll()) if (e.type === 'SessionStarted' && e.data.sessionId === firstSid) started.push(e);
    assert.equal(started.length, 1);
    assert.equal(decodeJwt(first.access).payload.exp, Date.parse(String(started[0]!.data.accessExpires)) / 1000);

    // Past the first session's last access token: pushing it out leaves the read model nothing to refuse.
    clock += 301_000;
    const second = await jwtPair(svc, user.username);
    assert.deepEqual(await revokedInReadModel(user.id), []);
    const refreshFirst = await svc.call('POST', '/auth/jwt/refresh/', { refresh: first.refresh });
    assert.equal(refreshFirst.status, 401, 'its refresh token is refused by the log');

    // The second is pushed out at once, its access token alive: refused until that token's exp.
    const third = await jwtPair(svc, user.username);
    const secondSid = decodeJwt(second.access).payload.sid as string;
    assert.deepEqual(await revokedInReadModel(user.id), [`${secondSid}@${decodeJwt(second.access).payload.exp}`]);
    assert.equal((await me(second.access)).status, 401);
    assert.equal((await me(third.access)).status, 200);

    // A refresh records its access token's exp too: the third session, refreshed and then ended, stays refused until it.
    clock += 200_000;
    const refreshed = await svc.call('POST', '/auth/jwt/refresh/', { refresh: third.refresh });
    assert.equal(refreshed.status, 200);
    const blacklisted = await svc.call('POST', '/auth/jwt/blacklist/', { refresh: third.refresh });
    assert.equal(blacklisted.status, 200);
    const thirdSid = decodeJwt(third.access).payload.sid as string;
    assert.ok((await revokedInReadModel(user.id)).includes(`${thirdSid}@${decodeJwt(refreshed.body.access).payload.exp}`));
    assert.equal((await me(refreshed.body.access)).status, 401);
  });
});

describe('email changes: told to the previous address; optionally guarded by the current password', () => {
  const svc = useService({ ...SITE, EMAIL_CHANGE_REQUIRES_PASSWORD: 'true' });

  it('PATCH users/me/ with a new email needs current_password; the old address is told', async () => {
    const user = await register(svc);
    const token = await login(svc, user.username);
    const next = `${unique('new')}@example.com`;
    const patch = (body: unknown) => svc.call('PATCH', '/auth/users/me/', body, auth(token));
    assert.deepEqual((await patch({ email: next })).body, { current_password: ['This field is required.'] });
    assert.deepEqual((await patch({ email: next, current_password: 'wrong' })).body, { current_password: ['Invalid password.'] });
    assert.equal((await patch({ email: user.email })).status, 200, 'no change, no password needed');
    const ok = await patch({ email: next, current_password: PASSWORD });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.email, next);
    const notice = await nthMailTo(svc, user.email, 1, 'Example - The email address of your account was changed');
    assert.match(mailText(notice), new RegExp(`was changed to ${next.replace('.', '\\.')}`));
    assert.equal(mailsTo(svc, next).length, 0);
  });
});

describe('look-alike usernames', () => {
  const svc = useService();

  it("another script's look-alike of an existing name is refused with a clear 400; ASCII names stay distinct", async () => {
    await register(svc, { username: 'alice_lookalike' });
    const cyrillic = await svc.call('POST', '/auth/users/', { username: 'аlice_lookalike', password: PASSWORD });
    assert.equal(cyrillic.status, 400);
    assert.deepEqual(cyrillic.body, { username: ['A user with a confusably similar username already exists.'] });
    assert.equal((await svc.call('POST', '/auth/users/', { username: 'alice_1ookalike', password: PASSWORD })).status, 201);
  });
});
