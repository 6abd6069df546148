// The `me` ceiling: the least an express server can do for GET users/me/ with a JWT — parse the Bearer header,
// verify an HS256 token with jose (as the service does: a Uint8Array secret, HS256 only, exp checked), look the user
// up in a Map and answer the same JSON shape. Run in its own process, like the service, by bench/http.ts.
//
// Input (env): BENCH_SECRET, the HMAC secret; BENCH_USERS, a JSON array of { id, username, email }.
// Output: one line `{"port": <n>}` on stdout once listening.
import express from 'express';
import { jwtVerify } from 'jose';
import type { AddressInfo } from 'node:net';

interface User {
  readonly id: string;
  readonly username: string;
  readonly email: string;
}

const key = new TextEncoder().encode(process.env.BENCH_SECRET ?? '');
const users = new Map<string, User>((JSON.parse(process.env.BENCH_USERS ?? '[]') as User[]).map((u) => [u.id, u]));

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

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
