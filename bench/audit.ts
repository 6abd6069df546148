// `node --import tsx bench/audit.ts`: `authstream audit` on a 1M-event embedded log — one account's history by id,
// by username and by email (each an index lookup: the user stream, the keyed-hash reservation stream, the mailbox
// stream), timed in-process (open, lookup, trail) and end to end (a `node <dist>/src/cli/main.js audit …` process,
// start-up included), against the target of 200 ms.
//
// The log is written through the store's public API as the service writes it: per account a NameReserved on its
// reservation stream, a MailboxHeld on its mailbox stream, and ten account events (registration + activation email,
// activation, a token login, a JWT session, a failed login, a password change, another login), with the metadata
// every event carries; ~1.2 KB per account. BENCH_AUDIT_EVENTS (default 1000000) sets the size, BENCH_AUDIT_DIR a
// DATA_DIR to reuse (generated there if empty, kept), BENCH_AUDIT_RUNS (default 15) the runs per measurement.
// The compiled CLI goes to a temporary directory (tsc -p tsconfig.build.json), never into the repository's dist/.
// Prints a table and one `BENCH_AUDIT {json}` line.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEmbeddedEventStore, type EmbeddedEventStore } from '../src/store/embedded.js';
import { userEvent, userStream } from '../src/events/user.events.js';
import { reservationEvent, reservationStream } from '../src/events/reservation.events.js';
import { mailboxEvent } from '../src/events/mailbox.events.js';
import { emailHoldersStream } from '../src/events/lookup.events.js';
import { emailKey, usernameKey } from '../src/commands/normalize.js';
import { auditTrails, findAccounts } from '../src/cli/audit.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_AUDIT_RUNS ?? 15);
const TARGET_MS = 200;
const SECRET_KEY = 'bench-audit-secret-key-0123456789abcdef';
const PER_ACCOUNT = 12; // events per account, all streams counted
const IN_FLIGHT = 64;
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$' + 'x'.repeat(43);

const sample = (n: number): { id: string; username: string; email: string } => ({
  id: randomUUID(),
  username: `user${n}`,
  email: `User${n}@Example.com`,
});

/** One account's appends, in the order the service makes them. */
async function writeAccount(store: EmbeddedEventStore, n: number, id: string = randomUUID()): Promise<void> {
  const username = `user${n}`;
  const email = `User${n}@Example.com`;
  const at = () => new Date().toISOString();
  const meta = (v: number, actor = 'anonymous') => ({
    correlationId: randomUUID(),
    actor,
    ip: `203.0.113.${n % 250}`,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0',
    schemaVersion: v,
  });
  const one = (type: string, data: Record<string, unknown>, actor?: string) => ({
    id: randomUUID(),
    type,
    data,
    metadata: meta(Number(data.v), actor),
  });
  const reserved = reservationEvent('NameReserved', { userId: id, at: at() });
  await store.append(reservationStream(SECRET_KEY, 'username', usernameKey(username)), [one(reserved.type, reserved.data)], 'no_stream');
  const held = mailboxEvent('MailboxHeld', { userId: id, at: at() });
  await store.append(emailHoldersStream(SECRET_KEY, emailKey(email)), [one(held.type, held.data as Record<string, unknown>)], 'any');
  const stream = userStream(id);
  const e = <T extends Parameters<typeof userEvent>[0]>(type: T, data: Record<string, unknown>, actor?: string) => {
    const built = userEvent(type, { userId: id, at: at(), ...data } as never);
    return one(built.type, built.data as Record<string, unknown>, actor);
  };
  const self = `user:${id}`;
  const batches = [
    [
      e('UserRegistered', {
        username,
        email,
        firstName: '',
        lastName: '',
        profile: {},
        passwordHash: HASH,
        isActive: false,
        isStaff: false,
        isSuperuser: false,
      }),
      e('ActivationEmailRequested', {}),
    ],
    [e('UserActivated', {})],
    [
      e('AuthTokenCreated', { tokenId: randomUUID(), keyHash: 'f'.repeat(64) }),
      e('LoginSucceeded', { method: 'token' }),
      e('UserLoggedIn', {}),
    ],
    [e('LoginFailed', { method: 'jwt', reason: 'password' })],
    [
      e('SessionStarted', {
        sessionId: randomUUID().replaceAll('-', ''),
        refreshJti: randomUUID(),
        expires: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    ],
    [e('PasswordChanged', { passwordHash: HASH, reason: 'set' }, self)],
    [e('LoginSucceeded', { method: 'token' })],
  ];
  let revision = -1;
  for (const batch of batches) {
    await store.append(stream, batch, revision < 0 ? 'no_stream' : BigInt(revision));
    revision += batch.length;
  }
}

async function generate(dir: string, events: number): Promise<{ accounts: number; seconds: number }> {
  const store = await openEmbeddedEventStore(path.join(dir, 'events'), { warn: () => undefined });
  const accounts = Math.ceil(events / PER_ACCOUNT);
  const t0 = performance.now();
  let next = 0;
  let lastReport = t0;
  const worker = async () => {
    while (next < accounts) {
      const n = next++;
      await writeAccount(store, n);
      if (performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        process.stderr.write(`  generated ${store.index.events} events …\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await store.close(); // writes the index snapshot
  await writeFile(path.join(dir, 'secret_key'), `${SECRET_KEY}\n`, { mode: 0o600 });
  return { accounts, seconds: (performance.now() - t0) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))]!;

/** The compiled CLI in a directory of its own: dist/ beside a package.json and a link to node_modules. */
async function buildCli(): Promise<string> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'authstream-bench-cli-'));
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(out, 'dist')], {
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error('tsc failed');
  // Assets beside the code, as src/cli/build.mjs copies them.
  const copyAssets = async (from: string, to: string) => {
    for (const entry of await readdir(from, { withFileTypes: true })) {
      const a = path.join(from, entry.name);
      const b = path.join(to, entry.name);
      if (entry.isDirectory()) await copyAssets(a, b);
      else if (!/\.(?:[cm]?ts|mjs|md)$/.test(entry.name)) await mkdir(to, { recursive: true }).then(() => cp(a, b));
    }
  };
  await copyAssets(path.join(ROOT, 'src'), path.join(out, 'dist', 'src'));
  await cp(path.join(ROOT, 'package.json'), path.join(out, 'package.json'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
  return out;
}

async function main(): Promise<void> {
  const keep = process.env.BENCH_AUDIT_DIR;
  const dir = keep ?? (await mkdtemp(path.join(os.tmpdir(), 'authstream-bench-audit-')));
  await mkdir(dir, { recursive: true });
  let generated: { accounts: number; seconds: number } | undefined;
  const log = path.join(dir, 'events', 'events.log');
  const exists = await stat(log).then(
    () => true,
    () => false,
  );
  if (!exists) {
    process.stderr.write(`generating ${EVENTS} events in ${dir} …\n`);
    generated = await generate(dir, EVENTS);
  }
  const logBytes = (await stat(log)).size;
  // A known account to look up, appended last (the index finds it wherever it is); its name and address are unique.
  const probe = sample(999_999_999);
  {
    const store = await openEmbeddedEventStore(path.join(dir, 'events'), { warn: () => undefined });
    const found = await findAccounts(store, probe.username, { mailboxKey: SECRET_KEY, scan: 'never' });
    if (found.ids.length === 0) await writeAccount(store, 999_999_999, probe.id);
    else probe.id = found.ids[0]!;
    await store.close();
  }
  const who = { id: probe.id, username: probe.username, email: probe.email.toLowerCase() };

  // In-process: open (read-only, as the CLI opens it), lookup, trail — each run on a fresh open.
  const inProcess: Record<string, { open: number[]; lookup: number[]; total: number[]; events: number }> = {};
  for (const [kind, value] of Object.entries(who)) {
    const r = { open: [] as number[], lookup: [] as number[], total: [] as number[], events: 0 };
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      // As `authstream audit` opens it: read-only, the snapshot trusted, each read checking its records.
      const store = await openEmbeddedEventStore(path.join(dir, 'events'), { readOnly: true, verify: 'tail', warn: () => undefined });
      const t1 = performance.now();
      const { ids } = await findAccounts(store, value, { mailboxKey: SECRET_KEY, scan: 'never' });
      const t2 = performance.now();
      let events = 0;
      for await (const _ of auditTrails(store, ids)) events++;
      const t3 = performance.now();
      await store.close();
      r.open.push(t1 - t0);
      r.lookup.push(t3 - t1);
      r.total.push(t3 - t0);
      r.events = events;
      void t2;
    }
    inProcess[kind] = r;
  }

  // For comparison: a read-only open that checks the whole log against the snapshot's checksums (the default).
  const fullOpen: number[] = [];
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    const t0 = performance.now();
    const store = await openEmbeddedEventStore(path.join(dir, 'events'), { readOnly: true, warn: () => undefined });
    fullOpen.push(performance.now() - t0);
    await store.close();
  }

  // End to end: a process per run, start-up included, as an operator types it.
  const cliDir = await buildCli();
  const main = path.join(cliDir, 'dist', 'src', 'cli', 'main.js');
  // The same CLI with only the audit command registered: what start-up costs without the other commands' modules
  // (createsuperuser, erase and import-django load the whole write side when they are registered).
  await cp(path.join(cliDir, 'dist'), path.join(cliDir, 'dist-audit-only'), { recursive: true });
  await writeFile(
    path.join(cliDir, 'dist-audit-only', 'src', 'cli', 'commands', 'index.js'),
    "import audit from './audit.js';\nexport const commands = [audit];\n",
  );
  const auditOnly = path.join(cliDir, 'dist-audit-only', 'src', 'cli', 'main.js');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dir };
  const endToEnd: Record<string, { wall: number[]; lines: number }> = {};
  const time = (args: string[], entry = main) => {
    const t0 = performance.now();
    const out = execFileSync(process.execPath, [entry, ...args], { env, encoding: 'utf8' });
    return { ms: performance.now() - t0, out };
  };
  const bare: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    bare.push(performance.now() - t0);
  }
  const onlyAudit: number[] = [];
  time(['audit', who.id, '--json'], auditOnly);
  for (let i = 0; i < RUNS; i++) onlyAudit.push(time(['audit', who.id, '--json'], auditOnly).ms);
  const baseline: number[] = [];
  for (let i = 0; i < RUNS; i++) baseline.push(time(['--version']).ms);
  for (const [kind, value] of Object.entries(who)) {
    const r = { wall: [] as number[], lines: 0 };
    time(['audit', value, '--json']); // the page cache warm, as for the in-process runs
    for (let i = 0; i < RUNS; i++) {
      const { ms, out } = time(['audit', value, '--json']);
      r.wall.push(ms);
      r.lines = out.trim().split('\n').length;
    }
    endToEnd[kind] = r;
  }
  const verbose = spawnSync(process.execPath, [main, 'audit', who.email, '--json', '-v'], { env, encoding: 'utf8' }).stderr.trim();

  const f = (ms: number) => ms.toFixed(1).padStart(7);
  console.log(`\nlog: ${EVENTS} events (+${PER_ACCOUNT} for the probe), ${(logBytes / 2 ** 20).toFixed(0)} MiB, ${dir}`);
  if (generated) console.log(`generated: ${generated.accounts} accounts in ${generated.seconds.toFixed(1)} s`);
  console.log(
    `\n${'lookup'.padEnd(10)} ${'open'.padStart(7)} ${'find+read'.padStart(9)} ${'in-proc'.padStart(7)} ${'process'.padStart(7)} ${'p90'.padStart(7)}  (median ms of ${RUNS})`,
  );
  for (const kind of Object.keys(who)) {
    const a = inProcess[kind]!;
    const b = endToEnd[kind]!;
    const verdict = median(b.wall) < TARGET_MS ? 'PASS' : 'FAIL';
    console.log(
      `${kind.padEnd(10)} ${f(median(a.open))} ${f(median(a.lookup)).padStart(9)} ${f(median(a.total))} ${f(median(b.wall))} ${f(p90(b.wall))}  ${verdict} (${b.lines} lines)`,
    );
  }
  console.log(
    `${'--version'.padEnd(10)} ${''.padStart(7)} ${''.padStart(9)} ${''.padStart(7)} ${f(median(baseline))} ${f(p90(baseline))}  (node + the CLI's modules, no log)`,
  );
  const row = (label: string, xs: number[], note: string) =>
    console.log(`${label.padEnd(10)} ${''.padStart(7)} ${''.padStart(9)} ${''.padStart(7)} ${f(median(xs))} ${f(p90(xs))}  ${note}`);
  row('node -e 0', bare, '(node alone)');
  row('id, alone', onlyAudit, '(audit by id with only the audit command registered)');
  console.log(
    `\nfull-check open (verify 'all', the store's default): ${median(fullOpen).toFixed(1)} ms; ` +
      `load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`,
  );
  console.log(`\n${verbose}`);
  console.log(
    `BENCH_AUDIT ${JSON.stringify({
      events: EVENTS,
      logBytes,
      runs: RUNS,
      targetMs: TARGET_MS,
      inProcess: Object.fromEntries(
        Object.entries(inProcess).map(([k, v]) => [
          k,
          { openMs: median(v.open), findAndReadMs: median(v.lookup), totalMs: median(v.total), events: v.events },
        ]),
      ),
      endToEnd: Object.fromEntries(Object.entries(endToEnd).map(([k, v]) => [k, { medianMs: median(v.wall), p90Ms: p90(v.wall) }])),
      versionOnlyMs: median(baseline),
      nodeOnlyMs: median(bare),
      auditOnlyRegistryMs: median(onlyAudit),
      fullCheckOpenMs: median(fullOpen),
      loadAverage: os.loadavg()[0],
    })}`,
  );
  await rm(cliDir, { recursive: true, force: true });
  if (!keep) await rm(dir, { recursive: true, force: true });
}

await main();
