// `node --import tsx bench/startup.ts` (or `BENCH_SUITES=startup npm run bench`): the embedded default's start-up
// against log size, and the catch-up of the runners. For logs of 10k, 100k and 1M events (10M with BENCH_10M=1:
// ~4 GB of disk, ~15 minutes) of realistic accounts — 10 events each: a username reservation, registration,
// activation, a token login (token, last_login, login), a JWT login (session, login), another token login — written
// through the store's API with 64 appends in flight, it measures, each in a process of its own:
//   - replay: the read-model projection over the whole log into a new in-memory model as the service replays it
//     without a snapshot (its built code: from the file, on two threads from SHARED_REPLAY_EVENTS to
//     SHARED_REPLAY_MAX_EVENTS, on one outside them; then the runner), events/s,
//     and the runner alone on one thread beside it; the model's bytes per account, on the heap and off it (after a
//     GC), and the process's RSS; writing and loading its snapshot;
//   - the whole service (`node dist/src/main.js`, the build) from spawn to its "listening" line, as seen from here,
//     with its RSS then (VmRSS) and its peak (VmHWM): cold (no snapshots at all: the log scanned and replayed),
//     full replay (FULL_REPLAY=true: the log's index snapshot used, the read model replayed) and warm (the snapshots
//     written by the last stop); the best of two warm starts;
//   - catch-up of the relay from an empty checkpoint over the 100k log: in-process bus with checkpoints stored per
//     event (as before batching) and in batches, and RabbitMQ (BENCH_AMQP_URL, default the local broker) into a
//     quorum queue with 1, 64 and RELAY_IN_FLIGHT publishes awaiting confirms (BENCH_RELAY_IN_FLIGHT=1,64,…), and
//     into a classic queue with RELAY_IN_FLIGHT, each beside the broker's ceiling ("the broker alone"): the same
//     messages published straight from amqplib with as many awaiting confirms into the same queue.
// Then a table and one `BENCH_STARTUP {json}` line. Data goes under os.tmpdir() and is deleted afterwards.
// Environment: BENCH_STARTUP_SIZES=10000,100000 (instead of the defaults), BENCH_10M=1, BENCH_KEEP=1 (keep the
// data directories), BENCH_CATCHUP=0 (skip the catch-up runs), BENCH_AMQP_URL (default amqp://guest:guest@127.0.0.1:5672;
// `none` skips RabbitMQ).
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { userEvent, userStream, type UserEventType } from '../src/events/user.events.js';
import { silentLogger } from '../src/log.js';
import { openEmbeddedEventStore, type EmbeddedEventStore } from '../src/store/embedded.js';
import type { QueueType } from '../src/amqp/bus.js';
import type { EventToAppend, Position } from '../src/store/port.js';

const SCRIPT = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SCRIPT), '..');
const IN_FLIGHT = 64;
const EVENTS_PER_ACCOUNT = 10;
const PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$' + 'x'.repeat(43);

function procStatusMb(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024);
}

// ---------------------------------------------------------------------------------------------------------------
// The log: accounts as the service writes them (the events built and checked by the service's own registry).

const toAppend = <T extends UserEventType>(type: T, data: Record<string, unknown>): EventToAppend => {
  const event = userEvent(type, data as never);
  return { id: randomUUID(), type: event.type, data: event.data as Record<string, unknown>, metadata: { correlationId: randomUUID() } };
};

async function writeAccount(store: EmbeddedEventStore, n: number): Promise<void> {
  const userId = randomUUID();
  const stream = userStream(userId);
  const username = `user${n}`;
  const at = (k: number) => new Date(Date.UTC(2025, 0, 1) + n * 1_000 + k).toISOString();
  const key = createHash('sha256').update(username).digest('hex').slice(0, 40);
  await store.append(
    `reservation-username-${key}`,
    [{ id: randomUUID(), type: 'NameReserved', data: { v: 1, userId, at: at(0) } }],
    'no_stream',
  );
  await store.append(
    stream,
    [
      toAppend('UserRegistered', {
        userId,
        username,
        email: `${username}@example.com`,
        firstName: n % 3 === 0 ? 'Ada' : '',
        lastName: n % 3 === 0 ? 'Lovelace' : '',
        profile: {},
        passwordHash: PASSWORD_HASH,
        isActive: false,
        isStaff: false,
        isSuperuser: false,
        at: at(1),
      }),
    ],
    'no_stream',
  );
  await store.append(stream, [toAppend('UserActivated', { userId, at: at(2) })], 0n);
  await store.append(
    stream,
    [
      toAppend('AuthTokenCreated', {
        userId,
        tokenId: randomBytes(20).toString('hex'),
        keyHash: randomBytes(32).toString('hex'),
        at: at(3),
      }),
      toAppend('UserLoggedIn', { userId, at: at(3) }),
      toAppend('LoginSucceeded', { userId, method: 'token', at: at(3) }),
    ],
    1n,
  );
  const sessionId = randomBytes(16).toString('hex');
  await store.append(
    stream,
    [
      toAppend('SessionStarted', { userId, sessionId, refreshJti: randomBytes(16).toString('hex'), expires: at(86_400_000), at: at(4) }),
      toAppend('LoginSucceeded', { userId, method: 'jwt', sessionId, at: at(4) }),
    ],
    4n,
  );
  await store.append(
    stream,
    [toAppend('UserLoggedIn', { userId, at: at(5) }), toAppend('LoginSucceeded', { userId, method: 'token', at: at(5) })],
    6n,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Child side

async function child(mode: string, dir: string, arg: string | undefined, arg2: string | undefined): Promise<void> {
  const report = (result: Record<string, unknown>) => void process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  const logDir = path.join(dir, 'events');
  if (mode === 'generate') {
    const store = await openEmbeddedEventStore(logDir, { warn: () => undefined });
    const accounts = Math.ceil(Number(arg) / EVENTS_PER_ACCOUNT);
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < accounts) await writeAccount(store, next++);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const events = store.index.events;
    await store.close();
    return report({ accounts, events, eventsPerSecond: events / seconds });
  }
  if (mode === 'replay') {
    // The service's code as it runs, built (a worker thread started from source would compile it first).
    const built = <T>(rel: string): Promise<T> => import(pathToFileURL(path.join(ROOT, 'dist/src', rel)).href) as Promise<T>;
    const [{ createMemoryReadModel }, { SubscriptionRunner }, { readModelCheckpoints }, { readModelProjection }, snap, { replayInShares }] =
      await Promise.all([
        built<typeof import('../src/readmodel/memory.js')>('readmodel/memory.js'),
        built<typeof import('../src/projections/runner.js')>('projections/runner.js'),
        built<typeof import('../src/projections/checkpoints.js')>('projections/checkpoints.js'),
        built<typeof import('../src/projections/read-model.projection.js')>('projections/read-model.projection.js'),
        built<typeof import('../src/readmodel/snapshot.js')>('readmodel/snapshot.js'),
        built<typeof import('../src/projections/partitioned-replay.js')>('projections/partitioned-replay.js'),
      ]);
    const oneThread = arg === 'one-thread';
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
    const store = await openEmbeddedEventStore(logDir, { readOnly: true, warn: () => undefined });
    gc();
    gc();
    // The model's heap and what it holds off the heap (its bases' chunks and tables are array buffers).
    const before = process.memoryUsage();
    const model = createMemoryReadModel();
    const runner = new SubscriptionRunner({
      name: 'read-model',
      store,
      checkpoints: readModelCheckpoints(model),
      handle: readModelProjection(model),
      log: silentLogger,
      checkpointEvery: { events: 1 },
    });
    const t0 = performance.now();
    // As the service replays without a snapshot: from the file, on two threads when the log is in their range, then
    // the runner for the rest (with one-thread: the runner alone, as before either, for comparison).
    const threads = (oneThread ? 0 : await replayInShares({ model, store, keys: null, log: silentLogger })) || 1;
    await runner.start();
    const replaySeconds = (performance.now() - t0) / 1000;
    await runner.stop();
    const events = store.index.events;
    if (oneThread) return report({ events, threads, replaySeconds, replayEventsPerSecond: events / replaySeconds });
    gc();
    gc();
    const after = process.memoryUsage();
    const heapBytes = after.heapUsed - before.heapUsed;
    const offHeapBytes = after.arrayBuffers - before.arrayBuffers;
    const accounts = await model.countUsers();
    const rssMb = procStatusMb('self', 'VmRSS');
    const state = model.capture();
    const at = state.checkpoints[0]![1];
    const file = path.join(dir, 'bench.snapshot');
    const written = await snap.writeReadModelSnapshot(file, state, {
      fingerprint: 'bench',
      logId: null,
      eventId: 'bench',
      position: at,
      source: 'service',
    });
    const t1 = performance.now();
    const loaded = await snap.readReadModelSnapshot(file);
    if (!loaded || 'refused' in loaded) throw new Error(`snapshot not loaded: ${JSON.stringify(loaded)}`);
    const loadReadMs = performance.now() - t1;
    createMemoryReadModel().restore(loaded.state);
    const loadMs = performance.now() - t1;
    await rm(file);
    await store.close();
    return report({
      events,
      accounts,
      threads,
      replaySeconds,
      replayEventsPerSecond: events / replaySeconds,
      heapMb: heapBytes / 2 ** 20,
      offHeapMb: offHeapBytes / 2 ** 20,
      bytesPerAccount: (heapBytes + offHeapBytes) / accounts,
      rssMb,
      snapshotMb: written.bytes / 2 ** 20,
      snapshotWriteMs: written.milliseconds,
      snapshotReadMs: loadReadMs,
      snapshotLoadMs: loadMs,
    });
  }
  if (mode === 'relay') {
    const [{ Relay }, { createInProcessBus }, { createAmqpBus }, { fileCheckpoints }] = await Promise.all([
      import('../src/amqp/relay.js'),
      import('../src/amqp/in-process.js'),
      import('../src/amqp/amqp-bus.js'),
      import('../src/projections/checkpoints.js'),
    ]);
    const [bus, [inFlight, every, queueType]] = [arg!, arg2!.split(':')];
    const store = await openEmbeddedEventStore(logDir, { readOnly: true, warn: () => undefined });
    const end: Position = { commit: BigInt(store.index.events), prepare: BigInt(store.index.events) };
    const tag = randomBytes(4).toString('hex');
    const exchange = `authstream.bench.${tag}`;
    const queue = `${exchange}.all`;
    const eventBus =
      bus === 'amqp'
        ? createAmqpBus({
            url: process.env.BENCH_AMQP_URL!,
            exchange,
            log: silentLogger,
            declareQueues: [{ queue, bindings: ['#'], concurrency: 1 }],
            queueType: queueType as QueueType,
          })
        : createInProcessBus({ log: silentLogger });
    const checkpointDir = path.join(dir, `relay-${tag}`);
    const relay = new Relay({
      bus: eventBus,
      store,
      checkpoints: fileCheckpoints(checkpointDir),
      name: 'bench',
      lease: `${exchange}.relay-lock`,
      source: '/bench',
      log: silentLogger,
      inFlight: Number(inFlight),
      ...(every === 'each' ? { checkpointEvery: { events: 1 } } : {}),
    });
    const t0 = performance.now();
    relay.start();
    while (end.commit > 0n && (!relay.position || relay.position.commit < end.commit)) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - t0) / 1000;
    const published = relay.published;
    await relay.stop();
    await eventBus.close();
    if (bus === 'amqp') await deleteBenchTopology(exchange, queue);
    await store.close();
    await rm(checkpointDir, { recursive: true, force: true });
    return report({
      events: Number(end.commit),
      published,
      seconds,
      eventsPerSecond: Number(end.commit) / seconds,
      publishedPerSecond: published / seconds,
    });
  }
  if (mode === 'amqp-ceiling') {
    // What the broker takes on this box, without the relay: the same messages (made by toMessage up front, not timed),
    // published straight from amqplib on a confirm channel, `inFlight` awaiting their confirms, into the relay's own
    // topology (a durable topic exchange, a durable queue bound to everything, its dead-letter exchange).
    const [{ toMessage }, { assertQueueTopology, publishConfirmed, publishOptions, queueTypes }, amqp] = await Promise.all([
      import('../src/amqp/cloudevents.js'),
      import('../src/amqp/amqp-bus.js'),
      import('amqplib'),
    ]);
    const [inFlight, queueType] = [Number(arg!.split(':')[0]), arg!.split(':')[1] as QueueType];
    const store = await openEmbeddedEventStore(logDir, { readOnly: true, warn: () => undefined });
    const messages: NonNullable<ReturnType<typeof toMessage>>[] = [];
    for await (const recorded of store.readAll()) {
      const message = toMessage(recorded, '/bench');
      if (message) messages.push(message);
    }
    await store.close();
    const tag = randomBytes(4).toString('hex');
    const exchange = `authstream.bench.${tag}`;
    const queue = `${exchange}.all`;
    const connection = await amqp.connect(process.env.BENCH_AMQP_URL!);
    const ch = await connection.createConfirmChannel();
    await assertQueueTopology(ch, exchange, { queue, bindings: ['#'], concurrency: 1 }, queueTypes(queueType));
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < messages.length) {
          const message = messages[next++]!;
          await publishConfirmed(ch, exchange, message.routingKey, message.body, publishOptions(message));
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    await connection.close();
    await deleteBenchTopology(exchange, queue);
    return report({ published: messages.length, seconds, publishedPerSecond: messages.length / seconds });
  }
  throw new Error(`unknown mode ${mode}`);
}

/** Removes what a RabbitMQ run declared: its queue (and dead-letter queue) and its exchanges. */
async function deleteBenchTopology(exchange: string, queue: string): Promise<void> {
  const amqp = await import('amqplib');
  const connection = await amqp.connect(process.env.BENCH_AMQP_URL!);
  const ch = await connection.createChannel();
  for (const q of [queue, `${queue}.dlq`]) await ch.deleteQueue(q);
  for (const x of [exchange, `${queue}.dlx`]) await ch.deleteExchange(x);
  await connection.close();
}

// ---------------------------------------------------------------------------------------------------------------
// Parent side

function runChild(mode: string, dir: string, args: string[] = [], nodeArgs: string[] = []): Promise<Record<string, number>> {
  const proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', SCRIPT, '--child', mode, dir, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  let out = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const line = /^RESULT (.*)$/m.exec(out);
      if (code === 0 && line) resolve(JSON.parse(line[1]!) as Record<string, number>);
      else reject(new Error(`child ${mode} exited with ${code}: ${out}`));
    });
  });
}

interface Start {
  /** Spawn to the "listening" line, from here. */
  readonly ms: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
  /** What the service said about its read model: loaded (and how long it took) or why it replayed. */
  readonly readModel: string;
  /** SIGTERM to exit (writes the snapshots). */
  readonly stopMs: number;
}

/** Starts the service on `dataDir`, waits for it to listen (and its relay to catch up), stops it. */
function startService(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Start> {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ...extraEnv };
  const t0 = performance.now();
  const proc = spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let listening: { ms: number; rssMb: number; peakRssMb: number } | undefined;
  let readModel = '?';
  let stopAt = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30 * 60_000);
    const onLine = (line: string) => {
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1] ?? '';
      if (msg.startsWith('read model: ')) readModel = msg.slice('read model: '.length);
      if (!listening && msg.startsWith('authstream listening on')) {
        listening = { ms: performance.now() - t0, rssMb: procStatusMb(proc.pid!, 'VmRSS'), peakRssMb: procStatusMb(proc.pid!, 'VmHWM') };
      }
      // Stopped once the relay has caught up, so the next start does not find it behind.
      if (listening && !stopAt && msg.startsWith('relay caught up')) {
        stopAt = performance.now();
        proc.kill('SIGTERM');
      }
    };
    let buffer = '';
    const feed = (chunk: string) => {
      out += chunk;
      buffer += chunk;
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        onLine(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    };
    proc.stdout.setEncoding('utf8').on('data', feed);
    proc.stderr.setEncoding('utf8').on('data', feed);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      if (listening && stopAt) resolve({ ...listening, readModel, stopMs: performance.now() - stopAt });
      else reject(new Error(`the service exited with ${code} before it was measured:\n${out.slice(-3000)}`));
    });
  });
}

interface Row {
  events: number;
  accounts: number;
  logMb: number;
  generateEventsPerSecond: number;
  replay: Record<string, number>;
  replayOneThread: Record<string, number>;
  cold: Start;
  fullReplay: Start;
  warm: Start;
  snapshotMb: number;
}

async function measure(events: number): Promise<{ row: Row; dir: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'authstream-bench-startup-'));
  const log = (m: string) => process.stderr.write(`[${events}] ${m}\n`);
  log('generating');
  const generated = await runChild('generate', dir, [String(events)]);
  const logMb = (await stat(path.join(dir, 'events', 'events.log'))).size / 2 ** 20;
  log(`${logMb.toFixed(0)} MiB, ${generated.events} events; replay`);
  const replay = await runChild('replay', dir, [], ['--expose-gc']);
  const replayOneThread = await runChild('replay', dir, ['one-thread']);
  log('service, cold (no snapshots)');
  await rm(path.join(dir, 'events', 'events.idx'), { force: true });
  const cold = await startService(dir);
  log('service, FULL_REPLAY');
  const fullReplay = await startService(dir, { FULL_REPLAY: 'true' });
  log('service, warm');
  const warm = [await startService(dir), await startService(dir)].sort((a, b) => a.ms - b.ms)[0]!;
  const snapshotMb = (await stat(path.join(dir, 'read-model.snapshot'))).size / 2 ** 20;
  return {
    dir,
    row: {
      events: generated.events!,
      accounts: generated.accounts!,
      logMb,
      generateEventsPerSecond: generated.eventsPerSecond!,
      replay,
      replayOneThread,
      cold,
      fullReplay,
      warm,
      snapshotMb,
    },
  };
}

function table(header: string[], rows: string[][]): string {
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const sizes = process.env.BENCH_STARTUP_SIZES
    ? process.env.BENCH_STARTUP_SIZES.split(',').map(Number)
    : [10_000, 100_000, 1_000_000, ...(process.env.BENCH_10M === '1' ? [10_000_000] : [])];
  const build = spawnSync(process.execPath, ['src/cli/build.mjs', '--if-stale', '--quiet'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('the build failed');
  process.env.BENCH_AMQP_URL ??= 'amqp://guest:guest@127.0.0.1:5672';
  const keep = process.env.BENCH_KEEP === '1';
  const dirs: string[] = [];
  const rows: Row[] = [];
  let baseline: Start | undefined;
  const catchup: Record<string, Record<string, number> | string> = {};
  try {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'authstream-bench-startup-empty-'));
    dirs.push(empty);
    baseline = await startService(empty);
    process.stderr.write(`service start-up on an empty DATA_DIR (node, modules, listen): ${baseline.ms.toFixed(0)} ms\n`);
    for (const events of sizes) {
      const { row, dir } = await measure(events);
      rows.push(row);
      dirs.push(dir);
    }
    const at100k = sizes.indexOf(100_000);
    const catchupDir = rows.length === 0 ? undefined : at100k >= 0 ? dirs[1 + at100k] : dirs.at(-1);
    if (process.env.BENCH_CATCHUP !== '0' && catchupDir) {
      process.stderr.write('relay catch-up\n');
      // `target: 1` marks what the service runs (checkpoints in batches; RabbitMQ: RELAY_IN_FLIGHT publishes awaiting
      // confirms, quorum queues): the rows the ≥ 20k target is for. The others show what the settings change.
      const { RELAY_IN_FLIGHT } = await import('../src/roles/relay.js');
      catchup['in-process, checkpoint per event'] = await runChild('relay', catchupDir, ['in-process', '1:each']);
      catchup['in-process, checkpoints in batches'] = { ...(await runChild('relay', catchupDir, ['in-process', '1:batch'])), target: 1 };
      if (process.env.BENCH_AMQP_URL !== 'none') {
        const inFlights = (process.env.BENCH_RELAY_IN_FLIGHT ?? `1,64,${RELAY_IN_FLIGHT}`).split(',').map(Number);
        const runs = [
          ...inFlights.map((inFlight) => ({ inFlight, queueType: 'quorum' as const })),
          { inFlight: RELAY_IN_FLIGHT, queueType: 'classic' as const },
        ];
        for (const { inFlight, queueType } of runs) {
          const failed = (error: unknown) => `failed: ${String(error).slice(0, 200)}`;
          const relayed = await runChild('relay', catchupDir, ['amqp', `${inFlight}:batch:${queueType}`]).catch(failed);
          const ceiling = await runChild('amqp-ceiling', catchupDir, [`${inFlight}:${queueType}`]).catch(failed);
          // The broker's own figure travels in the relay's row: the box's ceiling, not a measure of authstream.
          const brokerAlone = typeof ceiling === 'string' ? NaN : ceiling.publishedPerSecond!;
          const target = inFlight === RELAY_IN_FLIGHT && queueType === 'quorum' ? 1 : 0;
          catchup[`RabbitMQ ${queueType} queue, ${inFlight} awaiting confirms`] =
            typeof relayed === 'string' ? relayed : { ...relayed, brokerAlonePublishedPerSecond: brokerAlone, target };
        }
      }
    }
  } finally {
    for (const dir of dirs) if (keep) process.stderr.write(`kept ${dir}\n`);
    if (!keep) for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  }
  const f = (n: number | undefined, d = 0) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(d));
  console.log(
    `\nEmbedded default start-up, ${os.cpus().length} CPUs, Node ${process.version}. Times from spawn to "listening" as seen from outside ` +
      `(an empty DATA_DIR: ${f(baseline?.ms)} ms); RSS MiB at listening (peak); accounts of ${EVENTS_PER_ACCOUNT} events.`,
  );
  console.log(
    table(
      [
        'events',
        'accounts',
        'log MiB',
        'replay ev/s (threads)',
        'one thread ev/s',
        'model B/acct',
        'snapshot MiB',
        'snap load ms',
        'cold ms (RSS)',
        'full replay ms (RSS)',
        'warm ms (RSS)',
      ],
      rows.map((r) => [
        r.events.toLocaleString('en'),
        r.accounts.toLocaleString('en'),
        f(r.logMb),
        `${f(r.replay.replayEventsPerSecond)} (${r.replay.threads})`,
        f(r.replayOneThread.replayEventsPerSecond),
        f(r.replay.bytesPerAccount),
        f(r.snapshotMb, 1),
        f(r.replay.snapshotLoadMs),
        `${f(r.cold.ms)} (${r.cold.rssMb}/${r.cold.peakRssMb})`,
        `${f(r.fullReplay.ms)} (${r.fullReplay.rssMb}/${r.fullReplay.peakRssMb})`,
        `${f(r.warm.ms)} (${r.warm.rssMb}/${r.warm.peakRssMb})`,
      ]),
    ),
  );
  for (const r of rows) console.log(`[${r.events}] warm start: ${r.warm.readModel}`);
  if (Object.keys(catchup).length) {
    console.log('\nRelay catch-up from an empty checkpoint (100k-event log):');
    console.log(
      table(
        ['bus', 'events/s', 'published/s', 's', 'the broker alone, published/s'],
        Object.entries(catchup).map(([name, c]) =>
          typeof c === 'string'
            ? [name, c, '', '', '']
            : [name, f(c.eventsPerSecond), f(c.publishedPerSecond), f(c.seconds, 2), f(c.brokerAlonePublishedPerSecond)],
        ),
      ),
    );
  }
  console.log(
    `BENCH_STARTUP ${JSON.stringify({ cpus: os.cpus().length, node: process.version, baselineMs: baseline?.ms, rows, catchup })}`,
  );
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!, process.argv[5], process.argv[6]);
else await main();
