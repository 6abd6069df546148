// The audit trail over HTTP: GET users/me/events/ and users/<id>/events/ — DRF's page body, newest first or oldest
// first, the public form with the metadata, never a secret; staff see anyone (a deleted account too), others only
// themselves (another id: what users/<id>/ answers them).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService, type TestService } from '../support/service.js';
import { NOT_AUTHENTICATED, PASSWORD, auth, login, register, unique } from './helpers.js';

const NOT_FOUND = { detail: 'Not found.' };
const SECRETS = /passwordHash|tokenId|keyHash|refreshJti|sealedKey|argon2/;

async function staff(svc: TestService) {
  const username = unique('staff');
  await svc.useCases!.registration.createSuperuser({ username, email: `${username}@example.com`, password: PASSWORD });
  return login(svc, username);
}

/** An account with some history: registered, logged in twice, a password change. Returns its id and token. */
async function withHistory(svc: TestService) {
  const user = await register(svc);
  const headers = { 'User-Agent': 'audit-http-test/2.0', 'X-Request-Id': `req-${user.username}` };
  await svc.call('POST', '/auth/token/login/', { username: user.username, password: PASSWORD }, headers);
  const token = await login(svc, user.username);
  const changed = await svc.call(
    'POST',
    '/auth/users/set_password/',
    { current_password: PASSWORD, new_password: 'An0ther-secret-pw' },
    { ...auth(token), ...headers },
  );
  assert.equal(changed.status, 204);
  return { id: String(user.id), username: user.username, token };
}

describe('GET users/me/events/ and users/<id>/events/', () => {
  const svc = useService({ PAGE_SIZE: '3' });
  const get = (path: string, token?: string) => svc.call('GET', path, undefined, token ? auth(token) : {});

  it('anonymous: 401', async () => {
    const res = await get('/auth/users/me/events/');
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, NOT_AUTHENTICATED);
  });

  it('the caller’s own history: paginated, newest first, public data and metadata, never a secret', async () => {
    const me = await withHistory(svc);
    const first = await get('/auth/users/me/events/', me.token);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(Object.keys(first.body), ['count', 'next', 'previous', 'results']);
    const { count } = first.body;
    assert.ok(count >= 5, `count ${count}`);
    assert.equal(first.body.results.length, 3);
    assert.equal(first.body.previous, null);
    assert.match(first.body.next, /\/auth\/users\/me\/events\/\?page=2$/);
    const item = first.body.results[0];
    assert.deepEqual(Object.keys(item), ['id', 'type', 'revision', 'at', 'data', 'metadata']);
    assert.equal(item.revision, count - 1, 'newest first');
    assert.deepEqual(
      first.body.results.map((r: { revision: number }) => r.revision),
      [count - 1, count - 2, count - 3],
    );
    const changed = first.body.results.find((r: { type: string }) => r.type === 'PasswordChanged');
    assert.ok(changed, JSON.stringify(first.body.results));
    assert.equal(changed.metadata.actor, `user:${me.id}`);
    assert.equal(changed.metadata.userAgent, 'audit-http-test/2.0');
    assert.equal(changed.metadata.correlationId, `req-${me.username}`);
    assert.equal(typeof changed.metadata.ip, 'string');
    assert.equal(changed.metadata.schemaVersion, 1);
    assert.equal(changed.data.reason, 'set');

    // Every page, oldest first: the whole history once, in order, and the last page by name.
    const oldest: { revision: number; type: string; data: Record<string, unknown> }[] = [];
    for (let page = 1; ; page++) {
      const res = await get(`/auth/users/me/events/?order=oldest${page > 1 ? `&page=${page}` : ''}`, me.token);
      assert.equal(res.status, 200);
      oldest.push(...res.body.results);
      if (res.body.next === null) break;
      assert.match(res.body.next, new RegExp(`order=oldest&page=${page + 1}$`));
    }
    assert.deepEqual(
      oldest.map((r) => r.revision),
      Array.from({ length: count }, (_, i) => i),
    );
    assert.equal(oldest[0]!.type, 'UserRegistered');
    assert.equal(oldest[0]!.data.isStaff, false);
    assert.equal((await get('/auth/users/me/events/?page=last', me.token)).body.results.at(-1).revision, 0);
    const all = JSON.stringify(oldest);
    assert.doesNotMatch(all, SECRETS);
    assert.ok(!all.includes(me.token), 'no token key');

    assert.deepEqual((await get('/auth/users/me/events/?page=99', me.token)).body, { detail: 'Invalid page.' });
    const bad = await get('/auth/users/me/events/?order=sideways', me.token);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, { order: ['Select a valid choice. sideways is not one of the available choices.'] });
  });

  it('users/<id>/events/: one’s own id works; another’s is 404 (HIDE_USERS), as users/<id>/ answers', async () => {
    const alice = await withHistory(svc);
    const bob = await withHistory(svc);
    const own = await get(`/auth/users/${alice.id}/events/`, alice.token);
    assert.equal(own.status, 200);
    assert.equal(own.body.count, (await get('/auth/users/me/events/', alice.token)).body.count);
    const other = await get(`/auth/users/${bob.id}/events/`, alice.token);
    assert.equal(other.status, 404);
    assert.deepEqual(other.body, NOT_FOUND);
    assert.deepEqual((await get(`/auth/users/${bob.id}/`, alice.token)).status, 404, 'the same answer as users/<id>/');
    assert.equal((await get('/auth/users/987654321/events/', alice.token)).status, 404);
  });

  it('staff read anyone’s history, a deleted account’s too; an unknown id is 404', async () => {
    const boss = await staff(svc);
    const carol = await withHistory(svc);
    const res = await get(`/auth/users/${carol.id}/events/?order=oldest`, boss);
    assert.equal(res.status, 200);
    assert.equal(res.body.results[0].type, 'UserRegistered');
    const deleted = await svc.call('DELETE', '/auth/users/me/', { current_password: 'An0ther-secret-pw' }, auth(carol.token));
    assert.equal(deleted.status, 204);
    const after = await get(`/auth/users/${carol.id}/events/`, boss);
    assert.equal(after.status, 200);
    assert.ok(
      after.body.results.some((r: { type: string }) => r.type === 'UserDeleted'),
      JSON.stringify(after.body.results),
    );
    assert.ok(after.body.count > res.body.count);
    assert.equal((await get('/auth/users/987654321/events/', boss)).status, 404);
    assert.equal((await get('/auth/users/not-an-id/events/', boss)).status, 404);
  });

  it('other methods: 405 (authenticated)', async () => {
    const me = await withHistory(svc);
    const res = await svc.call('POST', '/auth/users/me/events/', {}, auth(me.token));
    assert.equal(res.status, 405);
  });
});

describe('users/me/events/ without PAGE_SIZE: 50 a page', () => {
  const svc = useService();
  it('pages of 50', async () => {
    const me = await withHistory(svc);
    const res = await svc.call('GET', '/auth/users/me/events/', undefined, auth(me.token));
    assert.equal(res.status, 200);
    assert.equal(res.body.results.length, res.body.count);
    assert.equal(res.body.next, null);
  });
});
