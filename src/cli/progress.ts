// Progress for long work: a bar (cli-progress) when stdout and stderr are terminals, otherwise a plain line on stderr
// every few seconds and one at the end, so logs of a CI job or a cron run show that the work moves. Both say how fast
// (units or bytes per second, on average since the start) and, with a total, how long is left (ETA).
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  /** What is being done: `rebuild`, `log check`. */
  readonly label: string;
  /** Undefined when unknown: a counter, no bar. */
  readonly total?: number;
  /** How values read: a count of `unit`s, or bytes (shown in KiB/MiB/GiB). */
  readonly unit?: string;
  readonly bytes?: boolean;
  /** Plain mode: how often a line is printed (default 5 s). */
  readonly intervalMs?: number;
}

export interface Progress {
  update(value: number): void;
  /** Ends the bar (or prints the last plain line); `summary` is printed after it. */
  stop(summary?: string): void;
}

interface Stream extends NodeJS.WritableStream {
  isTTY?: boolean;
}

export function createProgress(options: ProgressOptions, streams: { stdout: Stream; stderr: Stream }): Progress {
  const { stdout, stderr } = streams;
  return stdout.isTTY && stderr.isTTY ? barProgress(options, stderr) : plainProgress(options, stderr);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`;
}

const show = (options: ProgressOptions, n: number): string =>
  options.bytes ? formatBytes(n) : `${n}${options.unit ? ` ${options.unit}` : ''}`;

/** Per second, on average since `started`. */
const rateOf = (value: number, started: number): number => value / Math.max(0.001, (Date.now() - started) / 1000);

const showRate = (options: ProgressOptions, perSecond: number): string =>
  options.bytes ? `${formatBytes(Math.round(perSecond))}/s` : `${Math.round(perSecond)}${options.unit ? ` ${options.unit}` : ''}/s`;

function showSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  return s < 60
    ? `${s} s`
    : s < 3600
      ? `${Math.floor(s / 60)} min ${s % 60} s`
      : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function barProgress(options: ProgressOptions, stream: Stream): Progress {
  const known = options.total !== undefined && options.total > 0;
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WritableStream,
      format: known
        ? `${options.label} [{bar}] {percentage}% | {shown} of {shownTotal} | {rate} | ETA {left} | {duration_formatted}`
        : `${options.label} {shown} | {rate} | {duration_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const total = known ? options.total! : 1;
  const started = Date.now();
  bar.start(total, 0, { shown: show(options, 0), shownTotal: show(options, total), rate: showRate(options, 0), left: '?' });
  let last = 0;
  return {
    update(value) {
      last = value;
      const rate = rateOf(value, started);
      bar.update(known ? Math.min(value, total) : 0, {
        shown: show(options, value),
        rate: showRate(options, rate),
        left: known && rate > 0 ? showSeconds((total - Math.min(value, total)) / rate) : '?',
      });
    },
    stop(summary) {
      if (known) bar.update(total, { shown: show(options, Math.max(last, total)) });
      bar.stop();
      if (summary) stream.write(`${summary}\n`);
    },
  };
}

function plainProgress(options: ProgressOptions, stream: Stream): Progress {
  const started = Date.now();
  let value = 0;
  const line = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const total = options.total;
    const part = total && total > 0 ? ` of ${show(options, total)} (${Math.min(100, Math.floor((value / total) * 100))}%)` : '';
    const rate = rateOf(value, started);
    const eta = total && total > 0 && rate > 0 ? `, ETA ${showSeconds((total - Math.min(value, total)) / rate)}` : '';
    stream.write(`${options.label}: ${show(options, value)}${part}, ${seconds} s, ${showRate(options, rate)}${eta}\n`);
  };
  const timer = setInterval(line, options.intervalMs ?? 5_000);
  timer.unref();
  return {
    update(v) {
      value = v;
    },
    stop(summary) {
      clearInterval(timer);
      if (summary) stream.write(`${summary}\n`);
    },
  };
}
