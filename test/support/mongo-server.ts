// Starts test/support/mongo-server.py (a MongoDB wire-protocol server backed by mongomock) for tests.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface MongoTestServer {
  readonly uri: string;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./mongo-server.py', import.meta.url));
const READY = /^mongo-test-server ready (mongodb:\/\/\S+)$/;
const START_TIMEOUT_MS = 15_000;

let python: string | undefined;

/**
 * The first python3 that imports mockupdb and mongomock. The Debian packages live in /usr/bin/python3's path,
 * while `python3` on PATH may be a pyenv or virtualenv interpreter that cannot see them.
 */
function findPython(): string {
  if (python) return python;
  const candidates = [process.env.MONGO_TEST_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import mockupdb, mongomock'], { stdio: 'ignore', timeout: 10_000 });
    if (probe.status === 0) return (python = candidate);
  }
  throw new Error(
    `no python3 can import mockupdb and mongomock (tried ${candidates.join(', ')}): ` +
      'apt-get install python3-mockupdb python3-mongomock, or set MONGO_TEST_PYTHON',
  );
}

export function startMongoTestServer(): Promise<MongoTestServer> {
  // stdin stays open as a lifeline: the server exits when it closes, so a crashed test run leaves no server behind.
  const child = spawn(findPython(), [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (ready) process.stderr.write(chunk.replace(/^(?=.)/gm, '[mongo-test-server] '));
  });
  let ready = false;

  async function stop(): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      void stop();
      reject(new Error(`mongo test server did not start: ${why}${stderr ? `\n${stderr}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no ready line within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(err.message);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) fail(`exited with ${signal ?? `code ${code}`}`);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = READY.exec(line);
      if (ready || !match?.[1]) return;
      ready = true;
      clearTimeout(timer);
      resolve({ uri: match[1], stop });
    });
  });
}
