// `npm run bench:import`: `authstream import-django` at scale (#9.4: "100k users import in under a minute on the
// embedded default"). Writes a synthetic dump (test/fixtures/django/bench-dump-file.ts: Django's row layout, one DRF
// token per user) to a temp directory, then times the CLI end to end as a child process on a fresh temp DATA_DIR —
// start-up, parsing, checking and every append — and its peak RSS (VmHWM, read from /proc while it runs). Prints a
// table line and one `BENCH_IMPORT {json}` line; exits 0 whether or not the target is met (a report, not a test).
//
// The CLI is the compiled build (`node dist/src/cli/main.js`, built first when the sources changed), or through tsx
// where the build fails (e.g. a tree that does not compile) or with BENCH_IMPORT_RUNNER=tsx.
// Environment: BENCH_IMPORT_USERS (100000), BENCH_IMPORT_FORMAT (json | jsonl), BENCH_IMPORT_CONCURRENCY (the
// command's default), BENCH_IMPORT_RUNNER (dist | tsx), BENCH_IMPORT_KEEP=1 (keep the dump and DATA_DIR, printed).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchDump } from '../test/fixtures/django/bench-dump-file.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USERS = Number(process.env.BENCH_IMPORT_USERS ?? 100_000);
const FORMAT = process.env.BENCH_IMPORT_FORMAT === 'jsonl' ? 'jsonl' : 'json';
const CONCURRENCY = process.env.BENCH_IMPORT_CONCURRENCY;
const KEEP = process.env.BENCH_IMPORT_KEEP === '1';
/** The target, in seconds, for 100k users. */
const TARGET_SECONDS = 60;
const log = (line: string) => process.stderr.write(`${line}\n`);

if (!Number.isSafeInteger(USERS) || USERS < 1) throw new Error(`BENCH_IMPORT_USERS must be a positive whole number`);

/** How to run the CLI: the compiled build if it builds, else tsx. */
function runner(): { kind: 'dist' | 'tsx'; args: string[] } {
  if (process.env.BENCH_IMPORT_RUNNER !== 'tsx') {
    const built = spawnSync(process.execPath, ['src/cli/build.mjs', '--if-stale', '--quiet'], { cwd: ROOT, encoding: 'utf8' });
    if (built.status === 0) return { kind: 'dist', args: ['dist/src/cli/main.js'] };
    log(`(the build failed, so the CLI runs through tsx:\n${(built.stdout + built.stderr).trim().split('\n').slice(0, 5).join('\n')})`);
  }
  return { kind: 'tsx', args: ['--import', 'tsx', 'src/cli/main.ts'] };
}

/** CPU seconds (user + system) a running process has used; null once it is gone. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
  } catch {
    return null;
  }
}

/** Peak resident set (VmHWM) of a running process, in bytes; null once it is gone. */
function peakRss(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'authstream-bench-import-'));
  const dump = path.join(work, `dump.${FORMAT}`);
  const dataDir = path.join(work, 'data');
  try {
    log(`writing a ${USERS}-user dump (${FORMAT}, one token each) …`);
    await writeBenchDump(dump, USERS, FORMAT);
    const fileBytes = (await stat(dump)).size;
    const cli = runner();
    const args = [...cli.args, 'import-django', dump, ...(CONCURRENCY ? ['--concurrency', CONCURRENCY] : [])];
    log(`timing: node ${args.join(' ')}  (DATA_DIR=${dataDir})`);

    const loadBefore = os.loadavg()[0]!;
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      // A clean environment: the embedded default, whatever the shell has set.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    let peak = 0;
    let cpu = 0;
    const sample = () => {
      peak = Math.max(peak, peakRss(child.pid!) ?? 0);
      cpu = Math.max(cpu, cpuSeconds(child.pid!) ?? 0);
    };
    const timer = setInterval(sample, 50);
    const code = await new Promise<number | null>((resolve) => {
      // VmHWM only grows, so the last reading while it ran is the peak (up to the last 50 ms; an exited process's
      // /proc entry has no memory figures left).
      child.once('exit', (c) => {
        sample();
        resolve(c);
      });
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(timer);
    const logBytes = await stat(path.join(dataDir, 'events', 'events.log')).then(
      (s) => s.size,
      () => 0,
    );
    const summary = stdout.trim().split('\n').at(-1) ?? '';
    const result = {
      users: USERS,
      tokens: USERS,
      format: FORMAT,
      fileMB: Math.round(fileBytes / 2 ** 20),
      runner: cli.kind,
      concurrency: CONCURRENCY ? Number(CONCURRENCY) : 'the command’s default',
      exitCode: code,
      summary,
      seconds: Number(seconds.toFixed(2)),
      usersPerSecond: Math.round(USERS / seconds),
      cpuSeconds: Number(cpu.toFixed(1)),
      peakRssMB: peak > 0 ? Math.round(peak / 2 ** 20) : null,
      logMB: Math.round(logBytes / 2 ** 20),
      cpus: os.cpus().length,
      /** The box's 1-minute load average before and after: other work on it slows the import. */
      loadAverage: [Number(loadBefore.toFixed(1)), Number(os.loadavg()[0]!.toFixed(1))],
      node: process.version,
      // Scaled to 100k users when another count was asked for.
      targetSeconds: Number(((TARGET_SECONDS * USERS) / 100_000).toFixed(1)),
      pass: code === 0 && seconds <= (TARGET_SECONDS * USERS) / 100_000,
    };
    if (code !== 0) log(`import-django exited with ${code}:\n${stderr.slice(-2000)}`);
    log(
      `import-django: ${USERS} users + ${USERS} tokens (${result.fileMB} MB ${FORMAT}) in ${result.seconds} s = ` +
        `${result.usersPerSecond} users/s (CPU ${result.cpuSeconds} s), peak RSS ${result.peakRssMB} MB, log ${result.logMB} MB; ` +
        `target ${result.targetSeconds} s: ${result.pass ? 'PASS' : 'FAIL'}  (${summary})`,
    );
    console.log(`BENCH_IMPORT ${JSON.stringify(result)}`);
  } finally {
    if (KEEP) log(`kept ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
