// The login ceiling: raw argon2id verifies per second on this box, at the service's configured parameters, with the
// same concurrency as the login scenarios (each of `concurrency` loops awaits one verify at a time, as a keep-alive
// connection awaits one login). No HTTP, no event store. Run in its own process by bench/http.ts, which drives it over
// IPC so its windows can be interleaved with the login scenarios':
//   argv[2]: JSON { memoryKiB, timeCost, parallelism, concurrency }
//   → sends { ready: true } once the hash to verify exists
//   ← { seconds }  → sends a Window (below) after running the loops that long
import argon2 from 'argon2';
import { processCpuSeconds } from './proc.js';

interface Params {
  readonly memoryKiB: number;
  readonly timeCost: number;
  readonly parallelism: number;
  readonly concurrency: number;
}

export interface Window {
  readonly verifies: number;
  readonly seconds: number;
  /** Each verify's duration, ms. */
  readonly latencies: number[];
  /** Wall time until the last verify in flight finished (the CPU figures cover it). */
  readonly cpuWallSeconds: number;
  /** CPU seconds used by the whole process (all threads) and by its main thread, during the window. */
  readonly cpuSeconds: number;
  readonly loopCpuSeconds: number | null;
}

const params = JSON.parse(process.argv[2] ?? '{}') as Params;
const password = 'vq8-Lunar-Otter-41';
const hash = await argon2.hash(password, {
  type: argon2.argon2id,
  memoryCost: params.memoryKiB,
  timeCost: params.timeCost,
  parallelism: params.parallelism,
});

async function window(seconds: number): Promise<Window> {
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const loop0 = processCpuSeconds(process.pid, process.pid);
  const start = performance.now();
  const until = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: params.concurrency }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        if (!(await argon2.verify(hash, password))) throw new Error('argon2 verify returned false');
        const end = performance.now();
        // As autocannon counts responses: only what completes within the window (the in-flight tail is not counted).
        if (end <= until) latencies.push(end - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const loop1 = processCpuSeconds(process.pid, process.pid);
  return {
    verifies: latencies.length,
    seconds,
    cpuWallSeconds: elapsed,
    latencies,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    loopCpuSeconds: loop0 === null || loop1 === null ? null : loop1 - loop0,
  };
}

process.on('message', (message: { seconds: number }) => {
  void window(message.seconds).then((w) => process.send!(w));
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
