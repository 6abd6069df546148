// Runs `authstream` as a child process, through tsx (`node --import tsx src/cli/main.ts …`), so no build is needed.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A command's NDJSON output (--json), one object per line. */
export const ndjson = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A clean environment (no settings from the developer's shell) plus `env`. */
const environment = (env: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  ...env,
});

function start(args: readonly string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: ROOT,
    env: environment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs to the end. */
export function cli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> {
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`authstream ${args.join(' ')} did not end in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningCli {
  /** Resolves with stdout's lines once `predicate` holds for them. */
  waitForLines(predicate: (lines: string[]) => boolean, timeoutMs?: number): Promise<string[]>;
  /** Its stderr so far. */
  stderr(): string;
  /** Sends `signal` and resolves with the result once it ended. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
}

/** Starts a long-running command (`events tail`). */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  const waiting = new Set<() => void>();
  const wake = () => waiting.forEach((w) => w());
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c.toString();
    wake();
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const closed = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      resolve(code);
      wake();
    }),
  );
  const lines = () => stdout.split('\n').filter(Boolean);
  return {
    stderr: () => stderr,
    waitForLines(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(lines())) {
            finish();
            resolve(lines());
          } else if (child.exitCode !== null) {
            finish();
            reject(new Error(`authstream ${args.join(' ')} exited with ${child.exitCode}:\n${stdout}\n${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`authstream ${args.join(' ')}: lines not seen in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiting.delete(check);
        };
        waiting.add(check);
        check();
      });
    },
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await closed;
      return { code, stdout, stderr };
    },
  };
}

/** Runs many invocations a few at a time (each is a node process with tsx, ~0.6 s of CPU); results in order. */
export function cliMany(runs: readonly (readonly [readonly string[], Record<string, string>?])[], concurrency = 3): Promise<CliResult>[] {
  const lanes: Promise<unknown>[] = Array.from({ length: concurrency }, () => Promise.resolve());
  return runs.map(([args, env], i) => {
    const lane = i % concurrency;
    const result = lanes[lane]!.then(() => cli(args, env));
    lanes[lane] = result.catch(() => undefined);
    return result;
  });
}
