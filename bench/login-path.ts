// The login path without the hash (`npm run bench:login-path`): the service in this process on a stub hasher, so
// that its main thread is the limit and logins/s measure the work a login does besides argon2 (the part that
// competes with the hashes for the cores in bench/http.ts). autocannon runs in a child process, 8 connections,
// POST jwt/create/ round-robin over BENCH_USERS accounts for BENCH_DURATION seconds; fewer users means more
// sessions per account (at MAX_SESSIONS_PER_USER each login also ends the oldest one).
//   BENCH_USERS (comma-separated, default 5000,500,50), BENCH_DURATION (s, default 10)
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { startService } from '../src/service.js';
import type { PasswordHasher } from '../src/crypto/passwords.js';

const PASSWORD = 'Sup3r-secret-pw-x';
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const USERS = (process.env.BENCH_USERS ?? '5000,500,50').split(',').map(Number);

// A verify still yields to the event loop once, as the real one does (its answer comes from the thread pool).
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const stubHasher: PasswordHasher = {
  hash: async (password) => `stub:${password}`,
  verify: async (hash, password) => (await turn(), hash === `stub:${password}`),
  verifyNothing: turn,
  needsRehash: () => false,
};

if (process.argv[2] === '--load') {
  // The load generator's process: its own core, so it does not share the service's event loop.
  const [url, users] = [process.argv[3]!, Number(process.argv[4])];
  let next = 0;
  const result = await autocannon({
    url: `${url}/auth/jwt/create/`,
    method: 'POST',
    connections: 8,
    duration: DURATION,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ username: `u${next++ % users}`, password: PASSWORD }) }) }],
  });
  process.send!({ rps: result.requests.average, non2xx: result.non2xx, errors: result.errors });
  process.exit(0);
}

async function run(users: number): Promise<void> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-login-path-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DEFAULT_THROTTLE_RATES: 'register:1000000/min' });
  const service = await startService(config, { log: silentLogger, hasher: stubHasher });
  try {
    for (let i = 0; i < users; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, users - i) }, (_, j) =>
          fetch(`${service.url}/auth/users/`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ username: `u${i + j}`, password: PASSWORD }),
          }),
        ),
      );
    }
    const child = fork(fileURLToPath(import.meta.url), ['--load', service.url, String(users)], { execArgv: ['--import', 'tsx'] });
    type LoadResult = { rps: number; non2xx: number; errors: number };
    const result = await new Promise<LoadResult>((resolve) => child.once('message', (m) => resolve(m as LoadResult)));
    const perUser = Math.round((result.rps * DURATION) / users);
    console.log(
      `${String(users).padStart(6)} users  ${result.rps.toFixed(0).padStart(6)} logins/s  (~${perUser} logins an account)  ` +
        `non-2xx ${result.non2xx}, errors ${result.errors}`,
    );
  } finally {
    await service.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

console.log(`POST jwt/create/ on a stub hasher, 8 connections, ${DURATION}s each`);
for (const users of USERS) await run(users);
