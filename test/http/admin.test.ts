// djoser's user admin: GET users/, GET|PUT|PATCH|DELETE users/<id>/ with CurrentUserOrAdmin and HIDE_USERS
// (docs/djoser-reference-email-and-admin.md §5), pagination, and the staff actions authstream adds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestService } from '../support/service.js';
import { useService } from '../support/service.js';
import { NOT_AUTHENTICATED, PASSWORD, auth, login, register, unique } from './helpers.js';

const NOT_FOUND = { detail: 'Not found.' };
const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };

/** A staff member (and superuser), made as `authstream createsuperuser` makes one, and their token. */
async function staff(svc: TestService) {
  const username = unique('staff');
  const account = await svc.useCases!.registration.createSuperuser({ username, email: `${username}@example.com`, password: PASSWORD });
  return { id: Number(account.id), username, token: await login(svc, username) };
}

async function regular(svc: TestService) {
  const user = await register(svc);
  return { ...user, token: await login(svc, user.username) };
}

describe('user admin (HIDE_USERS on, the default)', () => {
  const svc = useService();
  const get = (path: string, token?: string) => svc.call('GET', path, undefined, token ? auth(token) : {});

  it('GET users/: anonymous 401; a regular user sees only themself; staff see everyone, inactive users included', async () => {
    assert.deepEqual((await get('/auth/users/')).body, NOT_AUTHENTICATED);
    const alice = await regular(svc);
    const mine = await get('/auth/users/', alice.token);
    assert.deepEqual(mine.body, [{ email: alice.email, id: alice.id, username: alice.username }]);
    const boss = await staff(svc);
    const all = (await get('/auth/users/', boss.token)).body as { id: number }[];
    assert.ok(all.some((u) => u.id === alice.id) && all.some((u) => u.id === boss.id));
    assert.deepEqual(
      all.map((u) => u.id),
      [...all.map((u) => u.id)].sort((a, b) => a - b),
      'in id order',
    );
  });

  it('users/<id>/: self 200; someone else 404 for GET/PUT/PATCH and 403 for DELETE; missing or odd ids 404; POST 405', async () => {
    const alice = await regular(svc);
    const bob = await regular(svc);
    assert.deepEqual((await get(`/auth/users/${alice.id}/`, alice.token)).body, {
      email: alice.email,
      id: alice.id,
      username: alice.username,
    });
    assert.deepEqual((await get(`/auth/users/${bob.id}/`, alice.token)).body, NOT_FOUND);
    for (const method of ['PUT', 'PATCH']) {
      const res = await svc.call(method, `/auth/users/${bob.id}/`, { email: 'not-even-an-email' }, auth(alice.token));
      assert.equal(res.status, 404, `${method}: the permission comes before the body`);
    }
    const del = await svc.call('DELETE', `/auth/users/${bob.id}/`, { current_password: PASSWORD }, auth(alice.token));
    assert.equal(del.status, 403);
    assert.deepEqual(del.body, FORBIDDEN);
    for (const id of ['987654321', '0001', 'abc', String(bob.id).padStart(5, '0')]) {
      assert.deepEqual((await get(`/auth/users/${id}/`, alice.token)).body, NOT_FOUND, id);
    }
    assert.equal((await svc.call('POST', `/auth/users/${alice.id}/`, {}, auth(alice.token))).status, 405);
    assert.equal((await get(`/auth/users/${bob.id}/`)).status, 401);
  });

  it('a user edits and deletes themself through users/<id>/ as through users/me/', async () => {
    const alice = await regular(svc);
    const patched = await svc.call('PATCH', `/auth/users/${alice.id}/`, { email: 'alice.new@example.com' }, auth(alice.token));
    assert.deepEqual(patched.body, { email: 'alice.new@example.com', id: alice.id, username: alice.username });
    const wrong = await svc.call('DELETE', `/auth/users/${alice.id}/`, { current_password: 'wrong' }, auth(alice.token));
    assert.deepEqual(wrong.body, { current_password: ['Invalid password.'] });
    assert.equal((await svc.call('DELETE', `/auth/users/${alice.id}/`, { current_password: PASSWORD }, auth(alice.token))).status, 204);
    assert.equal((await get('/auth/users/me/', alice.token)).status, 401);
  });

  it('staff read, edit and delete anyone; a deletion takes the staff member’s own password', async () => {
    const boss = await staff(svc);
    const bob = await regular(svc);
    assert.deepEqual((await get(`/auth/users/${bob.id}/`, boss.token)).body, { email: bob.email, id: bob.id, username: bob.username });
    const patched = await svc.call('PATCH', `/auth/users/${bob.id}/`, { email: 'bob.by.staff@example.com' }, auth(boss.token));
    assert.equal(patched.body.email, 'bob.by.staff@example.com');
    assert.deepEqual((await svc.call('PUT', `/auth/users/${bob.id}/`, { email: 'x' }, auth(boss.token))).body, {
      email: ['Enter a valid email address.'],
    });
    const withTargets = await svc.call('DELETE', `/auth/users/${bob.id}/`, { current_password: 'not-staff-pw' }, auth(boss.token));
    assert.deepEqual(withTargets.body, { current_password: ['Invalid password.'] });
    assert.equal((await svc.call('DELETE', `/auth/users/${bob.id}/`, { current_password: PASSWORD }, auth(boss.token))).status, 204);
    assert.equal((await get('/auth/users/me/', bob.token)).status, 401, "the deleted user's token is gone");
    assert.deepEqual((await get(`/auth/users/${bob.id}/`, boss.token)).body, NOT_FOUND);
    const next = await register(svc);
    assert.ok(Number(next.id) > Number(bob.id), 'a deleted id is never handed out again');
  });

  it('staff deactivate and reactivate a user; its credentials stop and start working; others may not', async () => {
    const boss = await staff(svc);
    const bob = await regular(svc);
    const action = (verb: string, token: string, id = bob.id) => svc.call('POST', `/auth/users/${id}/${verb}/`, undefined, auth(token));
    assert.deepEqual((await action('deactivate', bob.token, boss.id)).body, FORBIDDEN, 'a regular user');
    assert.equal((await action('deactivate', boss.token)).status, 204);
    assert.deepEqual((await get('/auth/users/me/', bob.token)).body, { detail: 'User inactive or deleted.' });
    const listed = (await get('/auth/users/', boss.token)).body as { id: number }[];
    assert.ok(
      listed.some((u) => u.id === bob.id),
      'staff still see the inactive user',
    );
    assert.equal((await svc.call('POST', '/auth/token/login/', { username: bob.username, password: PASSWORD })).status, 400);
    assert.equal((await action('reactivate', boss.token)).status, 204);
    assert.equal((await get('/auth/users/me/', bob.token)).status, 200);
    assert.deepEqual((await action('deactivate', boss.token, boss.id)).body, FORBIDDEN, 'not oneself');
    assert.deepEqual((await action('deactivate', boss.token, 987654321)).body, NOT_FOUND);
  });
});

describe('user admin with HIDE_USERS off', () => {
  const svc = useService({ HIDE_USERS: 'false' });

  it('a regular user lists everyone, and is refused (403) what belongs to others', async () => {
    const alice = await regular(svc);
    const bob = await regular(svc);
    const all = (await svc.call('GET', '/auth/users/', undefined, auth(alice.token))).body as { id: number }[];
    assert.ok(all.some((u) => u.id === bob.id));
    const other = await svc.call('GET', `/auth/users/${bob.id}/`, undefined, auth(alice.token));
    assert.equal(other.status, 403);
    assert.deepEqual(other.body, FORBIDDEN);
    assert.equal((await svc.call('GET', '/auth/users/987654321/', undefined, auth(alice.token))).status, 404);
  });
});

describe('users/ with DRF pagination', () => {
  const svc = useService({ PAGE_SIZE: '2' });

  it('PageNumberPagination: {count, next, previous, results}; page=last; an invalid page is 404 Invalid page.', async () => {
    const boss = await staff(svc);
    for (let i = 0; i < 4; i++) await register(svc);
    const list = (query = '') => svc.call('GET', `/auth/users/${query}`, undefined, auth(boss.token));
    const first = await list();
    assert.equal(first.body.count, 5);
    assert.equal(first.body.results.length, 2);
    assert.equal(first.body.previous, null);
    assert.match(first.body.next, /^http:\/\/127\.0\.0\.1:\d+\/auth\/users\/\?page=2$/);
    const second = await list('?page=2');
    assert.match(second.body.previous, /\/auth\/users\/$/, 'the first page has no page parameter');
    const last = await list('?page=last');
    assert.equal(last.body.results.length, 1);
    assert.equal(last.body.next, null);
    for (const page of ['0', '99', 'abc']) assert.deepEqual((await list(`?page=${page}`)).body, { detail: 'Invalid page.' }, page);
    const alone = await regular(svc);
    const mine = await svc.call('GET', '/auth/users/', undefined, auth(alone.token));
    assert.deepEqual(mine.body, {
      count: 1,
      next: null,
      previous: null,
      results: [{ email: alone.email, id: alone.id, username: alone.username }],
    });
  });
});
