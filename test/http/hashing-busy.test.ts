// A flood of password work beyond the hashing queue (issue #10.5): 503 with Retry-After, never a 500, and the
// service answers normally once the flood is over.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useService } from '../support/service.js';
import { PASSWORD, register, unique } from './helpers.js';

const BUSY = { detail: 'The server is busy; try again shortly.' };

describe('password hashing at capacity', () => {
  // No waiting room: one hash per core (plus one) runs, every other one is refused at once.
  // Throttles off: this floods logins from one address on purpose, to reach the hashing queue's bound.
  const svc = useService({ ARGON2_MAX_QUEUE: '0', DEFAULT_THROTTLE_RATES: 'login:none,login_account:none,register:none' });

  const flood = async (path: string, bodies: unknown[]) => {
    const answers = await Promise.all(bodies.map((body) => svc.call('POST', path, body)));
    for (const a of answers) {
      assert.ok([200, 201, 400, 401, 503].includes(a.status), `unexpected ${a.status} ${JSON.stringify(a.body)}`);
      if (a.status === 503) {
        assert.deepEqual(a.body, BUSY);
        assert.equal(a.headers.get('retry-after'), '1');
      }
    }
    return answers;
  };

  it('token/login/: known and unknown users beyond the queue get 503 + Retry-After, the rest their usual answer', async () => {
    const user = await register(svc);
    const bodies = Array.from({ length: 24 }, (_, i) =>
      i % 3 === 0
        ? { username: user.username, password: PASSWORD }
        : i % 3 === 1
          ? { username: user.username, password: 'wrong-password-1' }
          : { username: unique('nobody'), password: PASSWORD },
    );
    const answers = await flood('/auth/token/login/', bodies);
    const busy = answers.filter((a) => a.status === 503).length;
    assert.ok(busy > 0, 'some logins were refused as busy');
    assert.ok(busy < answers.length, 'some logins were served');
    // Unknown users are refused as busy like known ones: the refusal says nothing about which accounts exist.
    const unknownBusy = answers.filter((a, i) => i % 3 === 2 && a.status === 503).length;
    const knownBusy = answers.filter((a, i) => i % 3 !== 2 && a.status === 503).length;
    assert.ok(unknownBusy > 0 && knownBusy > 0, `busy: ${knownBusy} known, ${unknownBusy} unknown`);
  });

  it('jwt/create/ and users/ (registration) too', async () => {
    const user = await register(svc);
    const logins = await flood(
      '/auth/jwt/create/',
      Array.from({ length: 16 }, () => ({ username: user.username, password: PASSWORD })),
    );
    assert.ok(logins.some((a) => a.status === 503));
    assert.ok(logins.some((a) => a.status === 200));
    const registrations = await flood(
      '/auth/users/',
      Array.from({ length: 16 }, () => {
        const username = unique('flood');
        return { username, email: `${username}@example.com`, password: PASSWORD };
      }),
    );
    assert.ok(registrations.some((a) => a.status === 503));
    assert.ok(registrations.some((a) => a.status === 201));
  });

  it('after the flood, logins work again', async () => {
    const user = await register(svc);
    const res = await svc.call('POST', '/auth/token/login/', { username: user.username, password: PASSWORD });
    assert.equal(res.status, 200);
  });
});
