// `npm run bench:timing`: does answering depend on whether an account exists? (#10.4, #8)
//
// For each endpoint that takes just an address or a name — reset_password/, reset_username/, resend_activation/ —
// and for a failed login, 200 pairs of requests are sent one after the other, one about an existing account and one
// about none, in a random order within each pair (so drift in the box's speed falls on both alike), each address
// used once per endpoint (a repeat inside EMAIL_REQUEST_WINDOW does less work, for both kinds alike). Reported: the
// median latency of each kind and Δ = |known − unknown| / unknown, against the target Δ < 10%.
// Then reset_password_confirm/ with a bad token (junk uid, a valid uid with a junk token): median < 5 ms, because
// the token is checked before the new password is hashed.
//
// The service runs in this process on the embedded default (temp DATA_DIR), with throttling off (the bench sends
// more than the default rates allow from one address) and the email outbox as files. BENCH_TIMING_PAIRS (200).
// Prints a table and one `BENCH_TIMING {json}` line; exits 0 either way (a report, not a test).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { startService } from '../src/service.js';
import { encodeUid } from '../src/crypto/link-token.js';

const PAIRS = Number(process.env.BENCH_TIMING_PAIRS ?? 200);
const PASSWORD = 'timing-bench-Password-1';
const TARGET = 0.1;
const CONFIRM_TARGET_MS = 5;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function post(url: string, body: unknown): Promise<{ status: number; ms: number }> {
  const started = process.hrtime.bigint();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.arrayBuffer();
  return { status: response.status, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'authstream-bench-timing-'));
const config = loadConfig({
  PORT: '0',
  DATA_DIR: dataDir,
  SEND_ACTIVATION_EMAIL: 'true',
  DEFAULT_THROTTLE_RATES: 'login:none,login_account:none,register:none,email_request:none,confirm:none',
});
const service = await startService(config, { log: silentLogger });
const base = `${service.url}/auth`;
try {
  // Known accounts: registered, so inactive until activated (resend_activation/ has work to do for them).
  const known: { username: string; email: string; id: string }[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const username = `known${i}`;
    const email = `known${i}@example.com`;
    const res = await fetch(`${base}/users/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, email, password: PASSWORD }),
    });
    const body = (await res.json()) as { id: number };
    if (res.status !== 201) throw new Error(`registration ${i}: ${res.status}`);
    known.push({ username, email, id: String(body.id) });
  }
  const unknown = Array.from({ length: PAIRS }, (_, i) => ({ username: `nobody${i}`, email: `nobody${i}@example.com` }));

  const endpoints: { name: string; path: string; body: (who: { username: string; email: string }) => unknown; expect: number }[] = [
    { name: 'reset_password/', path: '/users/reset_password/', body: (w) => ({ email: w.email }), expect: 204 },
    { name: 'reset_username/', path: '/users/reset_username/', body: (w) => ({ email: w.email }), expect: 204 },
    { name: 'resend_activation/', path: '/users/resend_activation/', body: (w) => ({ email: w.email }), expect: 204 },
    {
      name: 'token/login/ (wrong password)',
      path: '/token/login/',
      body: (w) => ({ username: w.username, password: 'wrong-password-1' }),
      expect: 400,
    },
  ];

  const rows: { endpoint: string; known: number; unknown: number; delta: number; pass: boolean }[] = [];
  for (const endpoint of endpoints) {
    const times = { known: [] as number[], unknown: [] as number[] };
    // A few unmeasured requests first (JIT, caches).
    for (let i = 0; i < 10; i++) await post(base + endpoint.path, endpoint.body({ username: `warm${i}`, email: `warm${i}@example.org` }));
    for (let i = 0; i < PAIRS; i++) {
      const order = Math.random() < 0.5 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const kind of order) {
        const who = kind === 'known' ? known[i]! : unknown[i]!;
        const { status, ms } = await post(base + endpoint.path, endpoint.body(who));
        if (status !== endpoint.expect) throw new Error(`${endpoint.name} ${kind} answered ${status}`);
        times[kind].push(ms);
      }
    }
    const k = median(times.known);
    const u = median(times.unknown);
    const delta = Math.abs(k - u) / u;
    rows.push({ endpoint: endpoint.name, known: k, unknown: u, delta, pass: delta < TARGET });
  }

  // reset_password_confirm/ with bad tokens: answered before any hash.
  const confirm: number[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const uid = i % 2 ? 'junk-uid' : encodeUid(known[i]!.id);
    const { status, ms } = await post(`${base}/users/reset_password_confirm/`, {
      uid,
      token: 'bad-token',
      new_password: 'Another-good-pw-9',
    });
    if (status !== 400) throw new Error(`reset_password_confirm answered ${status}`);
    confirm.push(ms);
  }
  const confirmMedian = median(confirm);

  console.log(`\n${PAIRS} interleaved pairs per endpoint (median ms; Δ target < ${TARGET * 100}%)\n`);
  console.log(`${'endpoint'.padEnd(32)} ${'known'.padStart(8)} ${'unknown'.padStart(8)} ${'Δ'.padStart(7)}`);
  for (const r of rows) {
    console.log(
      `${r.endpoint.padEnd(32)} ${r.known.toFixed(2).padStart(8)} ${r.unknown.toFixed(2).padStart(8)} ${(r.delta * 100).toFixed(1).padStart(6)}%  ${r.pass ? 'PASS' : 'FAIL'}`,
    );
  }
  console.log(
    `\nreset_password_confirm/ with a bad token: median ${confirmMedian.toFixed(2)} ms (target < ${CONFIRM_TARGET_MS} ms)  ${confirmMedian < CONFIRM_TARGET_MS ? 'PASS' : 'FAIL'}`,
  );
  console.log(`BENCH_TIMING ${JSON.stringify({ pairs: PAIRS, rows, confirmMedianMs: confirmMedian })}`);
} finally {
  await service.close();
  await rm(dataDir, { recursive: true, force: true });
}
