// `node --import tsx bench/embedded-log.ts`: the embedded event log at scale. For logs of 10k, 100k and 1M events
// (and 10M with BENCH_LOG_10M=1, which takes ~10 minutes and ~4 GB of disk), written through the store's public
// API (~300-byte JSON events, streams of 5 events, 64 appends in flight), it measures in child processes:
//   - generate: appends/s with 64 in flight while writing the log, and the writer's peak RSS;
//   - cold open (no index snapshot: a full scan) and warm open (snapshot, every byte checked against its segment
//     checksums): the store's own open time, the time seen from outside (from the child's line just before it opens
//     to its line just after), and peak RSS (VmHWM from /proc/<pid>/status, read by this process);
//   - replay: readAll over every event, events/s, peak RSS;
//   - appends/s with 1 and with 64 in flight on the open log.
// Then a table and one `BENCH_LOG {json}` line. Data goes under os.tmpdir() and is deleted afterwards.
// Environment: BENCH_LOG_SIZES=10000,100000 (instead of the defaults), BENCH_LOG_10M=1, BENCH_LOG_KEEP=1 (keep the
// data directories, printed).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEmbeddedEventStore, type EmbeddedEventStore } from '../src/store/embedded.js';

const SCRIPT = fileURLToPath(import.meta.url);
const IN_FLIGHT = 64;
const STREAM_EVENTS = 5;

// ---------------------------------------------------------------------------------------------------------------
// Child side: one measurement per process, so each one's memory and start-up are its own.

function peakRssMb(pid: number | 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

const TYPES = ['UserRegistered', 'ActivationEmailSent', 'UserActivated', 'UserLoggedIn', 'PasswordChanged'];

/** A realistic account event, ~300 bytes of JSON. */
function accountEvent(stream: string, revision: number, n: number) {
  return {
    id: randomUUID(),
    type: TYPES[revision % TYPES.length]!,
    data: {
      userId: stream.slice(5),
      username: `user${n}`,
      email: `user${n}@example.com`,
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$' + 'x'.repeat(43),
      at: new Date().toISOString(),
    },
    metadata: { correlationId: randomUUID(), ip: '203.0.113.7' },
  };
}

/** `total` appends of one event each, `inFlight` at a time, each worker filling a new stream of 5 events. */
async function appendMany(store: EmbeddedEventStore, total: number, inFlight: number): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < total) {
      const stream = `user-${randomUUID()}`;
      for (let r = 0; r < STREAM_EVENTS && started < total; r++) {
        const n = started++;
        await store.append(stream, [accountEvent(stream, r, n)], r === 0 ? 'no_stream' : BigInt(r - 1));
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return total / ((performance.now() - t0) / 1000);
}

async function child(mode: string, dir: string, arg: string | undefined): Promise<void> {
  const report = (result: Record<string, unknown>): void => {
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  };
  if (mode === 'noop') return report({});
  // The parent times the open from this line to the result line: from outside, without node's own start-up.
  process.stdout.write('OPENING\n');
  const t0 = performance.now();
  const store = await openEmbeddedEventStore(dir, { warn: () => undefined });
  const openMs = performance.now() - t0;
  if (mode === 'generate') {
    const rate = await appendMany(store, Number(arg), IN_FLIGHT);
    const { writes, appends } = store.stats;
    await store.close();
    return report({ appendsPerSecond: rate, writes, appends, peakRssMb: peakRssMb('self') });
  }
  if (mode === 'open') {
    // Reported before close: close writes a snapshot, which is not part of opening.
    report({ openMs, opened: store.opened, indexMb: store.stats.indexBytes / 2 ** 20 });
    await new Promise((resolve) => process.stdin.once('end', resolve).resume());
    return store.close();
  }
  if (mode === 'replay') {
    const t1 = performance.now();
    let events = 0;
    for await (const e of store.readAll()) if (e.position.commit > 0n) events++;
    const seconds = (performance.now() - t1) / 1000;
    report({ events, eventsPerSecond: events / seconds });
    await new Promise((resolve) => process.stdin.once('end', resolve).resume());
    return store.close();
  }
  if (mode === 'append') {
    const inFlight = Number(arg);
    const rate = await appendMany(store, inFlight === 1 ? 2_000 : 40_000, inFlight);
    await store.close();
    return report({ appendsPerSecond: rate, writes: store.stats.writes });
  }
  throw new Error(`unknown mode ${mode}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Parent side

interface Measured {
  readonly result: Record<string, unknown> & { openMs?: number };
  /** From spawn to the child's result line. */
  readonly wallMs: number;
  /** From the child's OPENING line to its result line, as seen here. */
  readonly outsideMs: number;
  /** VmHWM when the result line came (the child waits for us to read it). */
  readonly peakRssMb: number;
}

function run(mode: string, dir: string, arg?: string): Promise<Measured> {
  const t0 = performance.now();
  const proc = spawn(process.execPath, ['--import', 'tsx', SCRIPT, '--child', mode, dir, ...(arg ? [arg] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let measured: Measured | undefined;
    let opening: number | undefined;
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (opening === undefined && /^OPENING$/m.test(out)) opening = performance.now();
      const line = /^RESULT (.*)$/m.exec(out);
      if (!line || measured) return;
      const now = performance.now();
      measured = { result: JSON.parse(line[1]!), wallMs: now - t0, outsideMs: now - (opening ?? t0), peakRssMb: peakRssMb(proc.pid!) };
      proc.stdin.end();
    });
    proc.on('error', reject);
    proc.on('exit', (code) =>
      measured && code === 0 ? resolve(measured) : reject(new Error(`child ${mode} exited with ${code}: ${out}`)),
    );
  });
}

interface Row {
  events: number;
  logMb: number;
  generateAppendsPerSecond: number;
  generatePeakRssMb: number;
  coldOpenMs: number;
  coldOpenWallMs: number;
  coldOpenPeakRssMb: number;
  warmOpenMs: number;
  warmOpenWallMs: number;
  warmOpenPeakRssMb: number;
  indexMb: number;
  replayEventsPerSecond: number;
  replayPeakRssMb: number;
  appendsPerSecond1: number;
  appendsPerSecond64: number;
}

async function measure(events: number): Promise<Row> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authstream-bench-log-'));
  const log = (m: string) => process.stderr.write(`[${events}] ${m}\n`);
  try {
    log('generating');
    const generated = await run('generate', dir, String(events));
    const logMb = (await stat(path.join(dir, 'events.log'))).size / 2 ** 20;
    log(`${logMb.toFixed(0)} MiB; cold open`);
    await rm(path.join(dir, 'events.idx'));
    const cold = await run('open', dir);
    log('warm open');
    // The cold open's close wrote the snapshot; open twice and keep the faster, the first may still be paging in.
    const warm = [await run('open', dir), await run('open', dir)].sort((a, b) => a.outsideMs - b.outsideMs)[0]!;
    log('replay');
    const replay = await run('replay', dir);
    log('appends');
    const one = await run('append', dir, '1');
    const many = await run('append', dir, String(IN_FLIGHT));
    const n = (m: Measured, key: string) => Number(m.result[key]);
    return {
      events,
      logMb,
      generateAppendsPerSecond: n(generated, 'appendsPerSecond'),
      generatePeakRssMb: n(generated, 'peakRssMb'),
      coldOpenMs: n(cold, 'openMs'),
      coldOpenWallMs: cold.outsideMs,
      coldOpenPeakRssMb: cold.peakRssMb,
      warmOpenMs: n(warm, 'openMs'),
      warmOpenWallMs: warm.outsideMs,
      warmOpenPeakRssMb: warm.peakRssMb,
      indexMb: n(warm, 'indexMb'),
      replayEventsPerSecond: n(replay, 'eventsPerSecond'),
      replayPeakRssMb: replay.peakRssMb,
      appendsPerSecond1: n(one, 'appendsPerSecond'),
      appendsPerSecond64: n(many, 'appendsPerSecond'),
    };
  } finally {
    if (process.env.BENCH_LOG_KEEP === '1') log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

function table(rows: Row[]): string {
  const columns: [string, (r: Row) => string][] = [
    ['events', (r) => r.events.toLocaleString('en')],
    ['log MiB', (r) => r.logMb.toFixed(0)],
    ['gen app/s', (r) => r.generateAppendsPerSecond.toFixed(0)],
    ['gen RSS', (r) => `${r.generatePeakRssMb}`],
    ['cold open ms', (r) => `${r.coldOpenMs.toFixed(0)} (${r.coldOpenWallMs.toFixed(0)})`],
    ['cold RSS', (r) => `${r.coldOpenPeakRssMb}`],
    ['warm open ms', (r) => `${r.warmOpenMs.toFixed(0)} (${r.warmOpenWallMs.toFixed(0)})`],
    ['warm RSS', (r) => `${r.warmOpenPeakRssMb}`],
    ['index MiB', (r) => r.indexMb.toFixed(1)],
    ['replay ev/s', (r) => r.replayEventsPerSecond.toFixed(0)],
    ['replay RSS', (r) => `${r.replayPeakRssMb}`],
    ['app/s 1', (r) => r.appendsPerSecond1.toFixed(0)],
    ['app/s 64', (r) => r.appendsPerSecond64.toFixed(0)],
  ];
  const cells = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, f]) => f(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padStart(widths[i]!)).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const sizes = process.env.BENCH_LOG_SIZES
    ? process.env.BENCH_LOG_SIZES.split(',').map(Number)
    : [10_000, 100_000, 1_000_000, ...(process.env.BENCH_LOG_10M === '1' ? [10_000_000] : [])];
  // What a child costs before it opens anything (node, tsx, our modules): for reference, the open times exclude it.
  const startups = [await run('noop', os.tmpdir()), await run('noop', os.tmpdir()), await run('noop', os.tmpdir())];
  const startupMs = Math.min(...startups.map((s) => s.wallMs));
  const rows: Row[] = [];
  process.stderr.write(`child start-up (node, tsx, modules): ${startupMs.toFixed(0)} ms\n`);
  for (const events of sizes) rows.push(await measure(events));
  console.log(
    `Embedded log, ${os.cpus().length} CPUs, Node ${process.version}; RSS in MiB (peak, VmHWM); open ms: the store's own (and as timed from outside the child)`,
  );
  console.log(table(rows));
  console.log(`BENCH_LOG ${JSON.stringify({ cpus: os.cpus().length, node: process.version, startupMs, rows })}`);
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!, process.argv[5]);
else await main();
