// One account's whole life over HTTP, run against every combination of adapters: the same flow must behave the
// same on the embedded default, on EventStoreDB and on MongoDB.
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestService, type TestService } from '../support/service.js';
import { linkIn, uidAndToken } from '../support/smtp.js';
import { describeUnless } from '../support/skip.js';

export interface Backend {
  /** Environment for the service (EVENTSTORE_URL, MONGODB_URI, ...). */
  readonly env: Record<string, string>;
  cleanup(): Promise<void>;
}

export function accountFlowSuite(name: string, backend: () => Promise<Backend>, options: { skip?: string | false } = {}): void {
  describeUnless(`account flow on ${name}`, options.skip ?? false, () => {
    let service: TestService;
    let chosen: Backend;
    const suffix = randomBytes(4).toString('hex');
    before(async () => {
      chosen = await backend();
      service = await startTestService({
        SECRET_KEY: 'flow-test-secret-key-that-is-long-enough',
        SEND_ACTIVATION_EMAIL: 'true',
        SEND_CONFIRMATION_EMAIL: 'true',
        MONGODB_DB: `authstream_flow_${suffix}`,
        ...chosen.env,
      });
    });
    after(async () => {
      await service?.dispose();
      await chosen?.cleanup();
    });

    it('register → activate by email → token and JWT login → me → change email, password, username → logout → delete', async () => {
      const username = `flow_${suffix}`;
      const email = `${username}@example.com`;
      const created = await service.call('POST', '/auth/users/', { username, email, password: 'Sup3r-secret-pw' });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(Object.keys(created.body), ['email', 'username', 'id']);

      const denied = await service.call('POST', '/auth/token/login/', { username, password: 'Sup3r-secret-pw' });
      assert.deepEqual(denied.body, { non_field_errors: ['Unable to log in with provided credentials.'] });

      const [activation] = await service.smtp.waitFor(1, (m) => m.to.includes(email) && m.subject.startsWith('Account activation'));
      const link = uidAndToken(linkIn(activation!));
      assert.equal((await service.call('POST', '/auth/users/activation/', link)).status, 204);
      assert.equal((await service.call('POST', '/auth/users/activation/', link)).status, 403);
      await service.smtp.waitFor(1, (m) => m.to.includes(email) && m.subject.includes('successfully created and activated'));

      const token = (await service.call('POST', '/auth/token/login/', { username, password: 'Sup3r-secret-pw' })).body.auth_token;
      assert.match(token, /^[0-9a-f]{40}$/);
      const auth = { Authorization: `Token ${token}` };
      assert.deepEqual((await service.call('GET', '/auth/users/me/', undefined, auth)).body, { email, id: created.body.id, username });

      const jwt = (await service.call('POST', '/auth/jwt/create/', { username, password: 'Sup3r-secret-pw' })).body;
      assert.equal((await service.call('GET', '/auth/users/me/', undefined, { Authorization: `JWT ${jwt.access}` })).status, 200);

      const patched = await service.call('PATCH', '/auth/users/me/', { email: `new_${email}` }, auth);
      assert.equal(patched.body.email, `new_${email}`);
      // With activation emails on, a new address must be confirmed again: the account is inactive meanwhile.
      assert.equal((await service.call('GET', '/auth/users/me/', undefined, auth)).status, 401);
      const [again] = await service.smtp.waitFor(1, (m) => m.to.includes(`new_${email}`) && m.subject.startsWith('Account activation'));
      assert.equal((await service.call('POST', '/auth/users/activation/', uidAndToken(linkIn(again!)))).status, 204);

      const setPassword = await service.call(
        'POST',
        '/auth/users/set_password/',
        { current_password: 'Sup3r-secret-pw', new_password: 'An0ther-secret-pw' },
        auth,
      );
      assert.equal(setPassword.status, 204, JSON.stringify(setPassword.body));
      assert.equal((await service.call('POST', '/auth/jwt/create/', { username, password: 'Sup3r-secret-pw' })).status, 401);

      const renamed = `${username}_2`;
      assert.equal(
        (await service.call('POST', '/auth/users/set_username/', { current_password: 'An0ther-secret-pw', new_username: renamed }, auth))
          .status,
        204,
      );
      assert.equal(
        (await service.call('POST', '/auth/token/login/', { username: renamed, password: 'An0ther-secret-pw' })).body.auth_token,
        token,
      );
      assert.equal(
        (await service.call('POST', '/auth/users/', { username, password: 'Sup3r-secret-pw' })).status,
        201,
        'the old name is free',
      );

      assert.equal((await service.call('POST', '/auth/token/logout/', undefined, auth)).status, 204);
      assert.deepEqual((await service.call('GET', '/auth/users/me/', undefined, auth)).body, { detail: 'Invalid token.' });

      // The password change (made with the DRF token) ended every JWT session: the one from before is refused.
      assert.equal((await service.call('GET', '/auth/users/me/', undefined, { Authorization: `JWT ${jwt.access}` })).status, 401);
      const fresh = (await service.call('POST', '/auth/jwt/create/', { username: renamed, password: 'An0ther-secret-pw' })).body;
      const bearer = { Authorization: `Bearer ${fresh.access}` };
      assert.equal((await service.call('DELETE', '/auth/users/me/', { current_password: 'An0ther-secret-pw' }, bearer)).status, 204);
      assert.deepEqual((await service.call('GET', '/auth/users/me/', undefined, bearer)).body, {
        detail: 'User not found',
        code: 'user_not_found',
      });
      assert.equal(
        (await service.call('POST', '/auth/users/', { username: renamed, password: 'Sup3r-secret-pw' })).status,
        201,
        'a deleted name is free',
      );
    });

    it('keeps a username unique under 20 concurrent registrations', async () => {
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => service.call('POST', '/auth/users/', { username: `race_${suffix}`, password: 'Sup3r-secret-pw' })),
      );
      assert.deepEqual(responses.map((r) => r.status).sort(), [201, ...Array(19).fill(400)]);
    });
  });
}
