// Child processes for the benchmark (the service, the minimal server, the argon2 loop) and CPU accounting from
// /proc, so the report can show how the two cores were shared between the load generator and the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';

export interface Child {
  readonly process: ChildProcess;
  /** Everything the child wrote to stdout and stderr so far, its log included (for error reports). */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `node <args>` and resolves once `ready` matches a line of its stdout or stderr, with the match's result.
 * Rejects (and kills the child) if it exits or `timeoutMs` passes first.
 */
export async function spawnNode<T>(
  args: readonly string[],
  options: {
    env: NodeJS.ProcessEnv;
    cwd: string;
    /** Recognises the ready line; ignored with `ipc` (the child is ready when it sends its first message). */
    ready: (line: string) => T | undefined;
    ipc?: boolean;
    timeoutMs?: number;
  },
): Promise<{ child: Child; value: T }> {
  const proc = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let errText = '';
  const exited = once(proc, 'exit');
  const child: Child = {
    process: proc,
    stderr: () => errText,
    async stop(graceMs = 5_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const value = await new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new Error(`node ${args.join(' ')} not ready after ${options.timeoutMs ?? 30_000} ms\n${errText}`)));
      void child.stop(0);
    }, options.timeoutMs ?? 30_000);
    const watch = (stream: NodeJS.ReadableStream) => {
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        // The access log (a line per request) would crowd out everything else.
        if (errText.length < 64_000) errText += chunk.replace(/^.*"msg":"request".*\n?/gm, '');
        if (settled) return;
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const v = options.ready(line);
          if (v !== undefined) return settle(() => resolve(v));
        }
      });
    };
    watch(proc.stdout!);
    watch(proc.stderr!);
    if (options.ipc) proc.once('message', (m: T) => settle(() => resolve(m)));
    proc.on('exit', (code, signal) =>
      settle(() => reject(new Error(`node ${args.join(' ')} exited (${code ?? signal}) before it was ready\n${errText}`))),
    );
    proc.on('error', (error) => settle(() => reject(error)));
  });
  return { child, value };
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the project targets

/**
 * CPU seconds (user + system) a process has used (all its threads), or with `tid` one of its threads (a Node
 * process's main thread, the event loop, has tid = pid), from /proc; null where /proc is unavailable.
 */
export function processCpuSeconds(pid: number | undefined, tid?: number): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole box, from /proc/stat; null where unavailable. */
export function boxCpuTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0); // idle + iowait
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal; guest is already counted in user
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}
