// The `http` suite of `npm run bench` (alone: `node --import tsx bench/http.ts`): throughput and p99 of the service's
// hot endpoints on the embedded default, next to two ceilings measured on the same box in the same run, and the
// ratios the targets are set against:
//   GET users/me/ with a JWT        >= 100% of a bare express + jose verify + Map lookup handler
//   POST token/login/, jwt/create/  >= 90% of raw argon2id verifies/s at the configured parameters
//
// The service (the compiled build, `node dist/src/main.js`), the minimal handler and the argon2 loop each run in a
// process of their own; autocannon runs here, in the benchmark's process. So on a 2-core box the load generator and
// the server share the cores, for the service and the minimal handler alike; the report shows the CPU each side used.
// All three servers are started up front and only one is loaded at a time. Each scenario's time is split into
// BENCH_ROUNDS windows, run in the order A B C … then … C B A, so that drift in the box's speed (it is a shared VM)
// falls on a scenario and its ceiling alike. Before each window the bench waits for the box to be idle, and a window
// during which other processes used the CPU is measured again.
//
// Environment: BENCH_DURATION (s per scenario, default 10), BENCH_WARMUP (s, 2), BENCH_ROUNDS (5),
// BENCH_CONNECTIONS (for me, 50), BENCH_LOGIN_CONNECTIONS (for logins, registration and the argon2 loop, 8),
// BENCH_USERS (50), BENCH_BUILD=0 to skip `npm run build`, BENCH_SCENARIOS=name,... to run only some,
// BENCH_PROFILE=1 to write V8 CPU profiles of the service and the minimal handler.
// Authstream's own configuration variables are not passed to the service, except ARGON2_*; the registration
// throttle is lifted (see serviceEnv).
import autocannon from 'autocannon';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import type { Window as Argon2Window } from './argon2-ceiling.js';
import { boxCpuTicks, processCpuSeconds, spawnNode, type Child } from './proc.js';
import { simplejwtToken } from './simplejwt.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return n;
}

const DURATION = envNumber('BENCH_DURATION', 10);
const WARMUP = envNumber('BENCH_WARMUP', 2);
const ROUNDS = Math.max(1, Math.round(envNumber('BENCH_ROUNDS', 5)));
/** autocannon ends runs on whole seconds, so windows are whole seconds too. */
const WINDOW = Math.max(1, Math.round(DURATION / ROUNDS));
const CONNECTIONS = Math.round(envNumber('BENCH_CONNECTIONS', 50));
const LOGIN_CONNECTIONS = Math.round(envNumber('BENCH_LOGIN_CONNECTIONS', 8));
const USERS = Math.round(envNumber('BENCH_USERS', 50));
const BUILD = process.env.BENCH_BUILD !== '0';
const PROFILE = process.env.BENCH_PROFILE === '1';
const ONLY = process.env.BENCH_SCENARIOS ? new Set(process.env.BENCH_SCENARIOS.split(',').map((s) => s.trim())) : null;

/** Reference points from the issue: djoser under gunicorn on this kind of 2-core box. */
const DJOSER = { me: 1_160, jwtLogin: 34 };
const PASSWORD = 'vq8-Lunar-Otter-41';
const RUN_TAG = randomBytes(3).toString('hex');
/** % of one core used by other processes during a window that makes it suspect (it is measured again). */
const CONTENDED = 20;
let retriesLeft = 6;

const CPUS = os.cpus().length;
const log = (line = '') => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface BenchUser {
  readonly id: string;
  readonly username: string;
  readonly email: string;
}

/** One measured window of one scenario. */
interface Slice {
  readonly seconds: number;
  readonly completed: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  readonly latencies: number[];
  /** CPU seconds over the window: the server process, its main thread, this process, the whole box. */
  readonly serverCpu: number | null;
  readonly loopCpu: number | null;
  readonly clientCpu: number | null;
  readonly boxCpu: number | null;
  /** Wall seconds the CPU figures are over. */
  readonly cpuWall: number;
}

interface Scenario {
  readonly name: string;
  readonly label: string;
  readonly server: 'service' | 'minimal' | 'argon2';
  readonly connections: number;
  readonly pid: () => number | undefined;
  /** Runs the load for `seconds`. */
  run(seconds: number): Promise<Slice>;
  readonly slices: Slice[];
}

const children = new Set<Child>();

// ---------------------------------------------------------------------------------------------------------------
// Measuring

/** Waits until a server has finished the requests still in flight from the last window (its CPU use drops). */
async function settle(pid: number | undefined, maxMs = 10_000): Promise<void> {
  const until = Date.now() + maxMs;
  let last = processCpuSeconds(pid);
  while (last !== null && Date.now() < until) {
    await sleep(250);
    const now = processCpuSeconds(pid);
    if (now === null || now - last < 0.0125) return; // under 5% of a core
    last = now;
  }
}

/** Waits (up to `maxMs`) for the box to be idle, so other work on it does not leak into a window. */
async function waitQuiet(maxMs = 20_000): Promise<void> {
  const until = Date.now() + maxMs;
  let waited = false;
  for (;;) {
    const a = boxCpuTicks();
    await sleep(400);
    const b = boxCpuTicks();
    if (!a || !b) return;
    const busy = ((b.busy - a.busy) / (b.total - a.total)) * CPUS * 100;
    if (busy < CONTENDED || Date.now() >= until) {
      if (waited) log(`      (box ${busy < CONTENDED ? 'quiet again' : `still ${busy.toFixed(0)}% busy; going on`})`);
      return;
    }
    if (!waited) log(`      (box ${busy.toFixed(0)}% busy with other work; waiting for it to be quiet …)`);
    waited = true;
  }
}

/** Runs `fn` and accounts the CPU used meanwhile by `pid`, its main thread, this process and the box. */
async function withCpu<T>(pid: number | undefined, fn: () => Promise<T>) {
  const box0 = boxCpuTicks();
  const srv0 = processCpuSeconds(pid);
  const loop0 = processCpuSeconds(pid, pid);
  const cli0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wall = (performance.now() - t0) / 1000;
  const cli = process.cpuUsage(cli0);
  const srv1 = processCpuSeconds(pid);
  const loop1 = processCpuSeconds(pid, pid);
  const box1 = boxCpuTicks();
  return {
    value,
    wall,
    serverCpu: srv0 === null || srv1 === null ? null : srv1 - srv0,
    loopCpu: loop0 === null || loop1 === null ? null : loop1 - loop0,
    clientCpu: (cli.user + cli.system) / 1e6,
    boxCpu: box0 && box1 ? ((box1.busy - box0.busy) / (box1.total - box0.total)) * CPUS * wall : null,
  };
}

/** A load scenario: autocannon from this process against a server in another. */
function httpScenario(
  name: string,
  label: string,
  server: Scenario['server'],
  target: () => { url: string; pid: number | undefined },
  options: () => Promise<Omit<autocannon.Options, 'url' | 'duration'> & { path: string }>,
): Scenario {
  const slices: Slice[] = [];
  let connections = 0;
  const scenario: Scenario = {
    name,
    label,
    server,
    get connections() {
      return connections;
    },
    pid: () => target().pid,
    slices,
    async run(seconds) {
      const { url, pid } = target();
      const { path: urlPath, ...rest } = await options();
      connections = rest.connections ?? 10;
      const latencies: number[] = [];
      const m = await withCpu(pid, async () => {
        const instance = autocannon({ url: `${url}${urlPath}`, pipelining: 1, timeout: 30, ...rest, duration: seconds });
        instance.on('response', (_client, _status, _bytes, ms) => void latencies.push(ms));
        return await instance;
      });
      const r = m.value;
      return {
        seconds: r.duration,
        completed: r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'],
        non2xx: r.non2xx,
        errors: r.errors,
        statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, Number(s.count)])),
        latencies,
        serverCpu: m.serverCpu,
        loopCpu: m.loopCpu,
        clientCpu: m.clientCpu,
        boxCpu: m.boxCpu,
        cpuWall: m.wall,
      };
    },
  };
  return scenario;
}

function argon2Scenario(child: () => Child): Scenario {
  const slices: Slice[] = [];
  return {
    name: 'argon2-verify',
    label: 'ceiling: raw argon2id verify',
    server: 'argon2',
    connections: LOGIN_CONNECTIONS,
    pid: () => child().process.pid,
    slices,
    async run(seconds) {
      const proc = child().process;
      const m = await withCpu(undefined, async () => {
        const reply = once(proc, 'message') as Promise<[Argon2Window]>;
        proc.send({ seconds });
        return (await reply)[0];
      });
      const w = m.value;
      return {
        seconds: w.seconds,
        completed: w.verifies,
        non2xx: 0,
        errors: 0,
        statusCodes: {},
        latencies: w.latencies,
        serverCpu: w.cpuSeconds,
        loopCpu: w.loopCpuSeconds,
        clientCpu: m.clientCpu,
        boxCpu: m.boxCpu,
        cpuWall: w.cpuWallSeconds,
      };
    },
  };
}

const otherCpu = (s: Pick<Slice, 'boxCpu' | 'serverCpu' | 'clientCpu'>) =>
  s.boxCpu === null || s.serverCpu === null ? null : Math.max(0, s.boxCpu - s.serverCpu - (s.clientCpu ?? 0));

async function window(s: Scenario, seconds: number, warmup: boolean): Promise<void> {
  for (;;) {
    await settle(s.pid());
    await waitQuiet();
    if (warmup) {
      log(`    ${s.label}: ${WARMUP}s warm-up`);
      await s.run(WARMUP);
      await settle(s.pid());
    }
    const slice = await s.run(seconds);
    const other = otherCpu(slice);
    const otherPct = other === null ? null : (other / slice.cpuWall) * 100;
    log(
      `    ${s.label}: ${fmt(slice.completed / slice.seconds, 1)}/s over ${fmt(slice.seconds, 1)}s, ` +
        `non-2xx ${slice.non2xx}, errors ${slice.errors}, other processes ${fmt(otherPct)}% CPU`,
    );
    if (otherPct !== null && otherPct > CONTENDED && retriesLeft > 0) {
      retriesLeft--;
      log('      contended by other work on the box: measuring this window again');
      warmup = false;
      continue;
    }
    s.slices.push(slice);
    return;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP helpers for setup and one-off checks

async function call(base: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* keep the text */
  }
  return { status: res.status, body: parsed };
}

async function expectStatus(what: string, status: number, promise: ReturnType<typeof call>) {
  const res = await promise;
  if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function inParallel<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

function sameUser(body: any, user: BenchUser): boolean {
  return String(body?.id) === user.id && body?.username === user.username && body?.email === user.email && Object.keys(body).length === 3;
}

/** A body per request, cycling through `users`, so concurrent logins are for different accounts as in real traffic. */
function cyclingLogins(p: string, users: readonly BenchUser[]) {
  let i = 0;
  return async () => ({
    path: p,
    connections: LOGIN_CONNECTIONS,
    requests: [
      {
        method: 'POST',
        path: p,
        headers: { 'content-type': 'application/json' },
        setupRequest: (req: autocannon.Request) => ({
          ...req,
          body: JSON.stringify({ username: users[i++ % users.length]!.username, password: PASSWORD }),
        }),
      },
    ],
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The servers

function serviceEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Every authstream setting off (so: embedded event log, in-memory read model, emails as files), except hashing cost.
  for (const key of Object.keys(loadConfig({}))) if (!key.startsWith('ARGON2_')) delete env[key];
  // Except the registration throttle (300 a minute per address): users-create sends thousands from one address, and
  // would measure 429s. Logins are not throttled by it (only failed logins count towards theirs).
  return { ...env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, DEFAULT_THROTTLE_RATES: 'register:1000000/min' };
}

const profileArgs = (dir: string | null) => (dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []);

async function startService(env: NodeJS.ProcessEnv, profileDir: string | null) {
  const { child, value: url } = await spawnNode([...profileArgs(profileDir), 'dist/src/main.js'], {
    cwd: ROOT,
    env,
    ready: (line) => /"msg":"authstream listening on (http:\/\/[^"]+)"/.exec(line)?.[1],
  });
  children.add(child);
  return { child, url };
}

async function startMinimal(
  users: readonly BenchUser[],
  argon2Params: { memoryKiB: number; timeCost: number; parallelism: number },
  profileDir: string | null,
) {
  const secret = randomBytes(32).toString('base64url');
  const { child, value: port } = await spawnNode([...profileArgs(profileDir), '--import', 'tsx', 'bench/minimal-server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      BENCH_SECRET: secret,
      BENCH_USERS: JSON.stringify(users),
      BENCH_PASSWORD: PASSWORD,
      BENCH_ARGON2: JSON.stringify(argon2Params),
    },
    ready: (line) => (line.startsWith('{"port":') ? (JSON.parse(line) as { port: number }).port : undefined),
  });
  children.add(child);
  const url = `http://127.0.0.1:${port}`;
  // The same claims and header the service issues (simplejwt's), signed the same way; fresh for each window.
  const key = new TextEncoder().encode(secret);
  const accessFor = (userId: string) => simplejwtToken(key, { token_type: 'access', user_id: userId }, 300);
  return { child, url, accessFor };
}

async function startArgon2(params: { memoryKiB: number; timeCost: number; parallelism: number }) {
  const { child } = await spawnNode(
    ['--import', 'tsx', 'bench/argon2-ceiling.ts', JSON.stringify({ ...params, concurrency: LOGIN_CONNECTIONS })],
    {
      cwd: ROOT,
      env: process.env,
      ipc: true,
      ready: () => undefined,
    },
  );
  children.add(child);
  return child;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function fmt(n: number | null | undefined, digits = 0): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r, i) => {
      const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

interface Summary {
  readonly name: string;
  readonly label: string;
  readonly server: Scenario['server'];
  readonly connections: number;
  readonly rps: number;
  readonly windowRps: number[];
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
  /** % of one core */
  readonly serverCpu: number | null;
  readonly loopCpu: number | null;
  readonly clientCpu: number | null;
  readonly otherCpu: number | null;
}

function summarise(s: Scenario): Summary {
  const sum = (f: (x: Slice) => number | null) => {
    const values = s.slices.map(f);
    return values.some((v) => v === null) ? null : values.reduce<number>((a, b) => a + b!, 0);
  };
  const seconds = sum((x) => x.seconds)!;
  const wall = sum((x) => x.cpuWall)!;
  const pct = (v: number | null) => (v === null ? null : (v / wall) * 100);
  const latencies = s.slices.flatMap((x) => x.latencies).sort((a, b) => a - b);
  const statusCodes: Record<string, number> = {};
  for (const x of s.slices) for (const [code, n] of Object.entries(x.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    name: s.name,
    label: s.label,
    server: s.server,
    connections: s.connections,
    rps: sum((x) => x.completed)! / seconds,
    windowRps: s.slices.map((x) => x.completed / x.seconds),
    p99Ms: latencies[Math.max(0, Math.ceil(latencies.length * 0.99) - 1)] ?? NaN,
    non2xx: sum((x) => x.non2xx)!,
    errors: sum((x) => x.errors)!,
    statusCodes,
    serverCpu: pct(sum((x) => x.serverCpu)),
    loopCpu: pct(sum((x) => x.loopCpu)),
    clientCpu: pct(sum((x) => x.clientCpu)),
    otherCpu: pct(sum((x) => otherCpu(x))),
  };
}

interface Ratio {
  readonly name: string;
  readonly value: number;
  readonly target: number | null;
  readonly pass: boolean | null;
}

function ratios(results: readonly Summary[]): Ratio[] {
  const get = (name: string) => results.find((r) => r.name === name);
  const out: Ratio[] = [];
  const add = (name: string, num: string, den: string, target: number | null) => {
    const a = get(num);
    const b = get(den);
    if (!a || !b) return;
    const value = a.rps / b.rps;
    out.push({ name, value, target, pass: target === null ? null : value >= target });
  };
  add('me (JWT) / minimal handler', 'me-jwt', 'minimal-me-jwt', 1.0); // #10.11: at least the minimal handler
  add('token/login / raw argon2', 'token-login', 'argon2-verify', 0.9);
  add('jwt/create / raw argon2', 'jwt-create', 'argon2-verify', 0.9);
  add('me (Token) / minimal handler', 'me-token', 'minimal-me-jwt', null);
  add('users/ (1 argon2 hash) / raw argon2 verify', 'users-create', 'argon2-verify', null);
  add('minimal login / raw argon2', 'minimal-jwt-create', 'argon2-verify', null);
  add('jwt/create / minimal login', 'jwt-create', 'minimal-jwt-create', null);
  return out;
}

function report(results: readonly Summary[], box: Record<string, unknown>, params: Record<string, unknown>): void {
  const rows = [
    ['scenario', 'conns', 'req/s', 'windows', 'p99 ms', 'non-2xx', 'errors', 'server CPU%', '(its loop)', 'client CPU%', 'other CPU%'],
    ...results.map((r) => [
      r.label,
      String(r.connections),
      fmt(r.rps, 1),
      r.windowRps.map((x) => fmt(x, r.rps < 1000 ? 1 : 0)).join(' / '),
      fmt(r.p99Ms, 1),
      r.server === 'argon2' ? '-' : String(r.non2xx),
      r.server === 'argon2' ? '-' : String(r.errors),
      fmt(r.serverCpu),
      fmt(r.loopCpu),
      r.server === 'argon2' ? '-' : fmt(r.clientCpu),
      `${fmt(r.otherCpu)}${(r.otherCpu ?? 0) > CONTENDED ? ' !' : ''}`,
    ]),
  ];
  const rs = ratios(results);
  const out: string[] = [];
  out.push('');
  out.push(`authstream bench — ${box.cpus}× ${box.cpuModel}, node ${box.node}, UV_THREADPOOL_SIZE ${box.uvThreadpool}`);
  out.push(
    `argon2id m=${params.memoryKiB} KiB t=${params.timeCost} p=${params.parallelism}. Each scenario: ${WARMUP}s warm-up, then ` +
      `${ROUNDS} interleaved ${WINDOW}s windows measured (BENCH_DURATION ${DURATION}s). autocannon runs in the bench process and each server in its own ` +
      `process, all sharing the ${box.cpus} cores. CPU% is of one core; "(its loop)" is the server's main thread.`,
  );
  out.push('');
  out.push(table(rows));
  out.push('');
  out.push(
    table([
      ['ratio', 'value', 'target', 'result'],
      ...rs.map((r) => [
        r.name,
        `${(r.value * 100).toFixed(1)}%`,
        r.target === null ? '(info)' : `>= ${(r.target * 100).toFixed(0)}%`,
        r.pass === null ? '' : r.pass ? 'PASS' : 'FAIL',
      ]),
    ]),
  );
  const me = results.find((r) => r.name === 'me-jwt');
  const jwtLogin = results.find((r) => r.name === 'jwt-create');
  if (me || jwtLogin) {
    out.push('');
    out.push(
      'vs djoser/gunicorn on a similar box (from the issue): ' +
        [
          me ? `me ${fmt(me.rps)} vs ${DJOSER.me} req/s (${fmt(me.rps / DJOSER.me, 2)}×)` : '',
          jwtLogin ? `JWT logins ${fmt(jwtLogin.rps, 1)} vs ${DJOSER.jwtLogin}/s (${fmt(jwtLogin.rps / DJOSER.jwtLogin, 2)}×)` : '',
        ]
          .filter(Boolean)
          .join(', '),
    );
  }
  const contended = results.filter((r) => (r.otherCpu ?? 0) > CONTENDED);
  if (contended.length) {
    out.push(
      `WARNING: other processes used more than ${CONTENDED}% of a core during: ${contended.map((r) => r.label).join('; ')} ` +
        '(marked !); those numbers understate this box: rerun when it is idle.',
    );
  }
  for (const r of results.filter((x) => x.non2xx > 0 || x.errors > 0)) {
    out.push(`WARNING: ${r.label}: ${r.non2xx} non-2xx, ${r.errors} errors; status codes ${JSON.stringify(r.statusCodes)}`);
  }
  const failed = rs.filter((r) => r.pass === false);
  out.push('');
  if (rs.some((r) => r.pass !== null)) {
    out.push(failed.length ? `TARGETS: ${failed.length} FAILED (${failed.map((r) => r.name).join('; ')})` : 'TARGETS: all PASS');
  }
  out.push(
    `BENCH_SUMMARY ${JSON.stringify({
      box,
      argon2: params,
      durationSeconds: DURATION,
      warmupSeconds: WARMUP,
      rounds: ROUNDS,
      windowSeconds: WINDOW,
      scenarios: results.map((r) => ({
        name: r.name,
        connections: r.connections,
        rps: Number(r.rps.toFixed(1)),
        windowRps: r.windowRps.map((x) => Number(x.toFixed(1))),
        p99Ms: Number(r.p99Ms.toFixed(1)),
        non2xx: r.non2xx,
        errors: r.errors,
        serverCpuPercent: r.serverCpu === null ? null : Math.round(r.serverCpu),
        serverLoopCpuPercent: r.loopCpu === null ? null : Math.round(r.loopCpu),
        clientCpuPercent: r.clientCpu === null ? null : Math.round(r.clientCpu),
        otherCpuPercent: r.otherCpu === null ? null : Math.round(r.otherCpu),
      })),
      ratios: rs.map((r) => ({ name: r.name, value: Number(r.value.toFixed(3)), target: r.target, pass: r.pass })),
    })}`,
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  if (BUILD) {
    log('npm run build …');
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error(`npm run build failed (${build.status ?? build.signal})`);
  }
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'authstream-bench-'));
  const profileDir = PROFILE ? await mkdtemp(path.join(os.tmpdir(), 'authstream-bench-profile-')) : null;
  const env = serviceEnv(dataDir);
  const config = loadConfig(env);
  const params = { memoryKiB: config.ARGON2_MEMORY_KIB, timeCost: config.ARGON2_TIME_COST, parallelism: config.ARGON2_PARALLELISM };
  const cpus = os.cpus();
  const box = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    uvThreadpool: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  };
  const wanted = (name: string) => ONLY === null || ONLY.has(name);

  let results: Summary[];
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    log('starting the service (node dist/src/main.js, embedded default) …');
    service = await startService(env, profileDir);
    const { url } = service;
    const servicePid = service.child.process.pid;
    log(`  ${url} (pid ${servicePid}), DATA_DIR ${dataDir}; registering ${USERS} users …`);
    const users = await inParallel(USERS, 4, async (i) => {
      const username = `bench-${RUN_TAG}-${i}`;
      const email = `${username}@example.com`;
      const body = await expectStatus(
        `register ${username}`,
        201,
        call(url, 'POST', '/auth/users/', { username, email, password: PASSWORD }),
      );
      return { id: String(body.id), username, email } satisfies BenchUser;
    });
    const me = users[0]!;
    const login = { username: me.username, password: PASSWORD };
    const token: string = (await expectStatus('token/login/', 200, call(url, 'POST', '/auth/token/login/', login))).auth_token;
    const tokenMe = await expectStatus(
      'me with Token',
      200,
      call(url, 'GET', '/auth/users/me/', undefined, { authorization: `Token ${token}` }),
    );
    if (!sameUser(tokenMe, me)) throw new Error(`me with Token answered ${JSON.stringify(tokenMe)}`);
    /** A fresh access token for each window: the default ACCESS_TOKEN_LIFETIME is 5 minutes. */
    const serviceAccess = async () => {
      const access: string = (await expectStatus('jwt/create/', 200, call(url, 'POST', '/auth/jwt/create/', login))).access;
      const body = await expectStatus(
        'me with JWT',
        200,
        call(url, 'GET', '/auth/users/me/', undefined, { authorization: `Bearer ${access}` }),
      );
      if (!sameUser(body, me)) throw new Error(`me with JWT answered ${JSON.stringify(body)}`);
      return access;
    };

    log('starting the minimal handler (bench/minimal-server.ts: express + jose + Map) and the argon2 loop …');
    const minimal = await startMinimal(users, params, profileDir);
    const minimalMe = await expectStatus(
      'minimal me',
      200,
      call(minimal.url, 'GET', '/auth/users/me/', undefined, {
        authorization: `Bearer ${await minimal.accessFor(me.id)}`,
      }),
    );
    if (!sameUser(minimalMe, me)) throw new Error(`minimal me answered ${JSON.stringify(minimalMe)}`);
    const argon2 = await startArgon2(params);

    const svc = () => ({ url, pid: servicePid });
    let registered = 0;
    const scenarios: Scenario[] = [
      httpScenario('me-token', 'GET users/me/ (Token)', 'service', svc, async () => ({
        path: '/auth/users/me/',
        connections: CONNECTIONS,
        headers: { authorization: `Token ${token}` },
      })),
      httpScenario('me-jwt', 'GET users/me/ (Bearer JWT)', 'service', svc, async () => ({
        path: '/auth/users/me/',
        connections: CONNECTIONS,
        headers: { authorization: `Bearer ${await serviceAccess()}` },
      })),
      httpScenario(
        'minimal-me-jwt',
        'ceiling: express+jose+Map me',
        'minimal',
        () => ({ url: minimal.url, pid: minimal.child.process.pid }),
        async () => ({
          path: '/auth/users/me/',
          connections: CONNECTIONS,
          headers: { authorization: `Bearer ${await minimal.accessFor(me.id)}` },
        }),
      ),
      httpScenario('token-login', 'POST token/login/', 'service', svc, cyclingLogins('/auth/token/login/', users)),
      httpScenario(
        'minimal-jwt-create',
        'reference: express+argon2+jose login',
        'minimal',
        () => ({ url: minimal.url, pid: minimal.child.process.pid }),
        cyclingLogins('/auth/jwt/create/', users),
      ),
      httpScenario('jwt-create', 'POST jwt/create/', 'service', svc, cyclingLogins('/auth/jwt/create/', users)),
      argon2Scenario(() => argon2),
      httpScenario('users-create', 'POST users/', 'service', svc, async () => ({
        path: '/auth/users/',
        connections: LOGIN_CONNECTIONS,
        requests: [
          {
            method: 'POST',
            path: '/auth/users/',
            headers: { 'content-type': 'application/json' },
            setupRequest: (req: autocannon.Request) => {
              const username = `new-${RUN_TAG}-${registered++}`;
              return { ...req, body: JSON.stringify({ username, email: `${username}@example.com`, password: PASSWORD }) };
            },
          },
        ],
      })),
    ].filter((s) => wanted(s.name));

    // A B C … then … C B A: a ratio's two sides see the same drift in the box's speed.
    for (let round = 0; round < ROUNDS; round++) {
      log(`round ${round + 1}/${ROUNDS} (${WINDOW}s windows):`);
      const order = round % 2 === 0 ? scenarios : [...scenarios].reverse();
      for (const s of order) await window(s, WINDOW, round === 0);
    }
    results = scenarios.map(summarise);

    await settle(servicePid); // let requests still in flight finish: SIGTERM does not wait for them
  } finally {
    await stopChildren();
    const warnings = (service?.child.stderr() ?? '').split('\n').filter((l) => /"level":"(warn|error)"/.test(l));
    if (warnings.length) log(`the service logged ${warnings.length} warnings/errors, e.g.:\n  ${warnings.slice(0, 3).join('\n  ')}`);
    const mail = await readdir(path.join(dataDir, 'mail')).catch(() => []);
    if (mail.length) log(`(the service wrote ${mail.length} emails to ${path.join(dataDir, 'mail')})`);
    await rm(dataDir, { recursive: true, force: true });
  }
  report(results, box, params);
  if (profileDir) log(`CPU profiles (the service's is the first, by pid): ${profileDir}`);
  log(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

async function stopChildren(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop(5_000)));
  children.clear();
}

process.on('SIGINT', () => void stopChildren().then(() => process.exit(130)));
main().catch(async (error: unknown) => {
  await stopChildren();
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
