// The `me` ceiling: the least an express server can do for GET users/me/ with a JWT — parse the Bearer header,
// verify an HS256 token with jose (as the service does: a Uint8Array secret, HS256 only, exp checked), look the user
// up in a Map and answer the same JSON shape. Run in its own process, like the service, by bench/http.ts.
//
// And the least an express server can do for POST jwt/create/: parse the JSON body, find the user in a Map,
// argon2-verify the password (no bound on hashes in flight, no throttle, no event, no read model), sign simplejwt's
// refresh and access tokens with jose. Where it lands between the raw argon2 loop and the service shows how much of
// the gap is HTTP and JSON on a box whose cores the hashes already fill.
//
// Input (env): BENCH_SECRET, the HMAC secret; BENCH_USERS, a JSON array of { id, username, email }; BENCH_PASSWORD,
// every user's password; BENCH_ARGON2, JSON { memoryKiB, timeCost, parallelism }.
// Output: one line `{"port": <n>}` on stdout once listening.
import argon2 from 'argon2';
import express from 'express';
import { jwtVerify } from 'jose';
import type { AddressInfo } from 'node:net';
import { simplejwtToken } from './simplejwt.js';

interface User {
  readonly id: string;
  readonly username: string;
  readonly email: string;
}

const key = new TextEncoder().encode(process.env.BENCH_SECRET ?? '');
const users = new Map<string, User>((JSON.parse(process.env.BENCH_USERS ?? '[]') as User[]).map((u) => [u.id, u]));

const argon2Params = JSON.parse(process.env.BENCH_ARGON2 ?? '{}') as { memoryKiB: number; timeCost: number; parallelism: number };
/** One hash for every user (they share the password): what a verify costs does not depend on whose it is. */
const passwordHash = await argon2.hash(process.env.BENCH_PASSWORD ?? '', {
  type: argon2.argon2id,
  memoryCost: argon2Params.memoryKiB,
  timeCost: argon2Params.timeCost,
  parallelism: argon2Params.parallelism,
});
const byUsername = new Map([...users.values()].map((u) => [u.username, u]));

const app = express();
app.set('etag', false);
app.disable('x-powered-by');

app.get('/auth/users/me/', async (req, res) => {
  const [scheme, token] = (req.headers.authorization ?? '').split(' ');
  if (scheme !== 'Bearer' || !token) return void res.status(401).json({ detail: 'Authentication credentials were not provided.' });
  let userId: unknown;
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'] });
    if (payload.token_type !== 'access') throw new Error('wrong type');
    userId = payload.user_id;
  } catch {
    return void res.status(401).json({ detail: 'Given token not valid for any token type' });
  }
  const user = typeof userId === 'string' ? users.get(userId) : undefined;
  if (!user) return void res.status(401).json({ detail: 'User not found' });
  res.json({ email: user.email, id: user.id, username: user.username });
});

app.post('/auth/jwt/create/', express.json(), async (req, res) => {
  const { username, password } = (req.body ?? {}) as { username?: unknown; password?: unknown };
  const user = typeof username === 'string' ? byUsername.get(username) : undefined;
  if (!user || typeof password !== 'string' || !(await argon2.verify(passwordHash, password)))
    return void res.status(401).json({ detail: 'No active account found with the given credentials' });
  const [refresh, access] = await Promise.all([
    simplejwtToken(key, { token_type: 'refresh', user_id: user.id }, 86_400),
    simplejwtToken(key, { token_type: 'access', user_id: user.id }, 300),
  ]);
  res.json({ refresh, access });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
