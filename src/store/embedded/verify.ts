// Checks the log's bytes against the segment checksums of the index snapshot (checksums.ts): how a warm open
// still refuses a log damaged anywhere. Big logs are checked by worker threads, a share of the segments each,
// since CRC-32 runs at ~2.5 GB/s a core and the open has nothing else to do meanwhile.
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';
import { readFully } from './scan.js';

export interface Range {
  readonly start: number;
  readonly end: number;
  readonly crc: number;
}

const BLOCK = 4 * 1024 * 1024;
/** Below this a worker's start-up (~30 ms) is not worth it. */
const THREADED_BYTES = 256 * 1024 * 1024;

/** The first range whose bytes do not match its checksum, or undefined when all match. */
export async function firstMismatch(path: string, ranges: readonly Range[]): Promise<Range | undefined> {
  const total = ranges.reduce((n, r) => n + r.end - r.start, 0);
  const threads = Math.min(availableParallelism(), 4, ranges.length);
  const bad =
    total < THREADED_BYTES || threads < 2
      ? await checkHere(path, ranges)
      : // Without threads (a sandbox that refuses them, say) the check is slower, not skipped.
        await checkInWorkers(path, ranges, threads).catch(() => checkHere(path, ranges));
  return ranges.find((r) => bad.has(r.start));
}

async function checkHere(path: string, ranges: readonly Range[]): Promise<Set<number>> {
  const bad = new Set<number>();
  const file = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(BLOCK);
    for (const r of ranges) {
      let crc = 0;
      for (let at = r.start; at < r.end;) {
        const got = await readFully(file, buf, 0, Math.min(BLOCK, r.end - at), at);
        if (got === 0) break;
        crc = crc32(buf.subarray(0, got), crc);
        at += got;
      }
      if (crc !== r.crc) bad.add(r.start);
    }
  } finally {
    await file.close();
  }
  return bad;
}

// Plain JavaScript, run with `eval`, so the worker needs no loader and no module of ours.
const WORKER = `
const { openSync, readSync, closeSync } = require('node:fs');
const { crc32 } = require('node:zlib');
const { parentPort, workerData } = require('node:worker_threads');
const fd = openSync(workerData.path, 'r');
const buf = Buffer.allocUnsafe(${BLOCK});
const bad = [];
try {
  for (const r of workerData.ranges) {
    let crc = 0;
    for (let at = r.start; at < r.end; ) {
      const got = readSync(fd, buf, 0, Math.min(buf.length, r.end - at), at);
      if (got === 0) break;
      crc = crc32(buf.subarray(0, got), crc);
      at += got;
    }
    if (crc !== r.crc) bad.push(r.start);
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage(bad);
`;

async function checkInWorkers(path: string, ranges: readonly Range[], threads: number): Promise<Set<number>> {
  const shares: Range[][] = Array.from({ length: threads }, () => []);
  ranges.forEach((r, i) => shares[i % threads]!.push(r));
  const results = await Promise.all(
    shares.map(
      (share) =>
        new Promise<number[]>((resolve, reject) => {
          const worker = new Worker(WORKER, { eval: true, workerData: { path, ranges: share }, execArgv: [] });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`checksum worker exited with code ${code}`)));
        }),
    ),
  );
  return new Set(results.flat());
}
