// `npm run bench`: every benchmark suite, one after the other, each in a process of its own (so that one's memory
// and start-up are not another's), then one table of every target the issues set and what this run measured.
//
//   http     bench/http.ts          GET users/me/ and the logins beside the same box's ceilings (#10.11)
//   timing   bench/timing.ts        known vs unknown accounts on the endpoints that take an address (#10.4)
//   import   bench/import-django.ts 100k Django users through `authstream import-django` (#9.4)
//   log      bench/embedded-log.ts  the embedded log: open, replay, appends/s with 1 and 64 in flight (#12)
//   startup  bench/startup.ts       the service's start-up and RSS against log size, relay catch-up (#12)
//   audit    bench/audit.ts         one account's history from a 1M-event log (#11)
//
// BENCH_SUITES=http,timing picks some (default: all, about 25 minutes on a 2-core box and ~3 GB of temporary disk).
// Each suite's own settings (BENCH_DURATION, BENCH_STARTUP_SIZES, BENCH_10M, …) are described in its file and
// passed through. Each suite prints its own tables; this script keeps the one `BENCH_<NAME> {json}` line each ends
// with, prints the targets, and writes them as one `BENCH_TARGETS {json}` line. It exits 0 whether or not they
// pass (a report, not a test), and 1 when a suite could not run.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SUITES = {
  http: 'http.ts',
  timing: 'timing.ts',
  import: 'import-django.ts',
  log: 'embedded-log.ts',
  startup: 'startup.ts',
  audit: 'audit.ts',
} as const;
type Suite = keyof typeof SUITES;

interface Target {
  readonly suite: Suite;
  readonly what: string;
  readonly target: string;
  readonly measured: string;
  readonly pass: boolean | null;
}

/** Runs one suite, its output passed through; the JSON of its `BENCH_… {json}` line, or the reason it has none. */
function runSuite(suite: Suite): Promise<{ report?: Record<string, unknown>; failure?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, SUITES[suite])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let report: Record<string, unknown> | undefined;
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const json = /^BENCH_[A-Z]+ (\{.*\})$/.exec(line)?.[1];
        if (json) report = JSON.parse(json) as Record<string, unknown>;
      }
    });
    child.on('error', (error) => resolve({ failure: error.message }));
    child.on('close', (code) => resolve(report ? { report } : { failure: `it exited with ${code} before its BENCH line` }));
  });
}

type Json = Record<string, any>; // each suite has its own shape
const n = (v: number, digits = 0) => v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** What each suite's report says about the targets set for it. */
const TARGETS: Record<Suite, (r: Json) => Target[]> = {
  http: (r) =>
    (r.ratios as Json[])
      .filter((x) => x.target !== null)
      .map((x) => ({ suite: 'http', what: x.name, target: `>= ${pct(x.target)}`, measured: pct(x.value), pass: x.pass })),
  timing: (r) => [
    ...(r.rows as Json[]).map((x) => ({
      suite: 'timing' as const,
      what: `${x.endpoint}: known vs unknown (Δ of medians)`,
      target: '< 10%',
      measured: pct(x.delta),
      pass: x.pass as boolean,
    })),
    {
      suite: 'timing',
      what: 'reset_password_confirm/ with a bad token (median)',
      target: '< 5 ms',
      measured: `${n(r.confirmMedianMs, 2)} ms`,
      pass: r.confirmMedianMs < 5,
    },
  ],
  import: (r) => [
    {
      suite: 'import',
      what: `import-django, ${n(r.users)} users`,
      target: `<= ${r.targetSeconds} s`,
      measured: `${r.seconds} s`,
      pass: r.pass,
    },
  ],
  log: (r) =>
    (r.rows as Json[]).flatMap((x) => [
      {
        suite: 'log' as const,
        what: `appends/s, 64 in flight (${n(x.events)}-event log)`,
        target: '>= 20,000',
        measured: n(x.appendsPerSecond64),
        pass: x.appendsPerSecond64 >= 20_000,
      },
      {
        suite: 'log' as const,
        what: `log replay, events/s (${n(x.events)})`,
        target: '>= 200,000',
        measured: n(x.replayEventsPerSecond),
        pass: x.replayEventsPerSecond >= 200_000,
      },
    ]),
  startup: (r) => [
    ...(r.rows as Json[]).flatMap((x) => {
      const big = x.events >= 10_000_000;
      const size = `${n(x.events)} events`;
      const rows: Target[] = [
        {
          suite: 'startup',
          what: `read-model replay, events/s (${size})`,
          target: '>= 200,000',
          measured: n(x.replay.replayEventsPerSecond),
          pass: x.replay.replayEventsPerSecond >= 200_000,
        },
      ];
      if (x.events >= 1_000_000) {
        rows.push(
          {
            suite: 'startup',
            what: `warm start to listening (${size})`,
            target: big ? '< 3 s' : '< 1 s',
            measured: `${n(x.warm.ms / 1000, 2)} s`,
            pass: x.warm.ms < (big ? 3_000 : 1_000),
          },
          {
            suite: 'startup',
            what: `RSS, peak of the three starts (${size})`,
            target: big ? '< 1 GB' : '< 400 MB',
            measured: `${Math.max(x.cold.peakRssMb, x.fullReplay.peakRssMb, x.warm.peakRssMb)} MiB`,
            pass: Math.max(x.cold.peakRssMb, x.fullReplay.peakRssMb, x.warm.peakRssMb) * 2 ** 20 < (big ? 1e9 : 400e6),
          },
        );
      }
      return rows;
    }),
    ...Object.entries((r.catchup ?? {}) as Record<string, Json | string>)
      .filter(([, c]) => typeof c !== 'string')
      .map(([bus, c]) => ({
        suite: 'startup' as const,
        // RabbitMQ rows carry the broker's own ceiling on the box (the same messages straight from amqplib).
        what: `relay catch-up, events/s (${bus}${(c as Json).brokerAlonePublishedPerSecond === undefined ? '' : `; the broker alone: ${n((c as Json).brokerAlonePublishedPerSecond)} published/s`})`,
        // The target is for what the service runs; the other rows show what its settings change.
        target: (c as Json).target === 1 ? '>= 20,000' : '-',
        measured: n((c as Json).eventsPerSecond),
        pass: (c as Json).target === 1 ? (c as Json).eventsPerSecond >= 20_000 : null,
      })),
  ],
  audit: (r) =>
    Object.entries(r.inProcess as Record<string, Json>).map(([by, x]) => ({
      suite: 'audit',
      what: `one account's history by ${by}, ${n(r.events)}-event log (in-process; end to end ${n(r.endToEnd[by]?.medianMs ?? NaN)} ms)`,
      target: `< ${r.targetMs} ms`,
      measured: `${n(x.totalMs, 1)} ms`,
      pass: x.totalMs < r.targetMs,
    })),
};

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const asked = (process.env.BENCH_SUITES ?? Object.keys(SUITES).join(',')).split(',').map((s) => s.trim());
  const unknown = asked.filter((s) => !(s in SUITES));
  if (unknown.length) throw new Error(`BENCH_SUITES: no suite ${unknown.join(', ')}; the suites: ${Object.keys(SUITES).join(', ')}`);
  const targets: Target[] = [];
  const failures: string[] = [];
  for (const suite of asked as Suite[]) {
    console.log(`\n=== bench suite: ${suite} (bench/${SUITES[suite]}) ===\n`);
    const { report, failure } = await runSuite(suite);
    if (report) targets.push(...TARGETS[suite](report));
    else failures.push(`${suite}: ${failure}`);
  }
  console.log('\n=== targets ===\n');
  console.log(
    table([
      ['suite', 'what', 'target', 'measured', 'result'],
      ...targets.map((t) => [t.suite, t.what, t.target, t.measured, t.pass === null ? '(info)' : t.pass ? 'PASS' : 'FAIL']),
    ]),
  );
  for (const f of failures) console.log(`suite did not run: ${f}`);
  console.log(`BENCH_TARGETS ${JSON.stringify({ targets, failures })}`);
  if (failures.length) process.exitCode = 1;
}

await main();
