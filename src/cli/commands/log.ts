// `authstream log check` and `authstream log repair --cut-at <offset>`: the embedded event log's operator commands
// (src/store/embedded-check.ts). check only reads, so it is safe beside a running service; repair cuts the log at
// a record boundary the operator names, after the repair function has copied the whole file aside, and refuses
// while a service holds the log.
import { stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { CheckReport } from '../../store/embedded-check.js';
import { LOG_FILE } from '../../store/embedded/format.js';

// The embedded store's checker loads when a log command runs, not with every CLI command.
const checker = () => import('../../store/embedded-check.js');
import { CliError, defineCommand, EXIT, type CliContext, type ExitCode } from '../command.js';
import { embeddedLogDir } from '../context.js';
import { formatBytes } from '../progress.js';

interface DirOptions {
  readonly dir?: string;
  readonly json?: boolean;
}

function parseOffset(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError('must be a byte offset (a whole number)');
  return Number(value);
}

/** --dir, else DATA_DIR/events; with EVENTSTORE_URL the log is EventStoreDB's and these commands do not apply. */
function logDir(context: CliContext, options: DirOptions): string {
  if (options.dir) return options.dir;
  const config = context.config();
  if (config.EVENTSTORE_URL) {
    throw new CliError(
      'the log commands are for the embedded log; with EVENTSTORE_URL the log is EventStoreDB’s (use its tools), or pass --dir',
      EXIT.USAGE,
    );
  }
  return embeddedLogDir(config);
}

/** Bytes this process has read so far (Linux: /proc/self/io), to follow a scan that reports no progress itself. */
function bytesRead(): number | undefined {
  try {
    const match = /^rchar:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** checkEmbeddedLog with progress: the scan reads the log once, so the bytes read so far measure how far it is. */
async function checkWithProgress(context: CliContext, dir: string, quiet: boolean): Promise<CheckReport> {
  const size = await stat(path.join(dir, LOG_FILE)).then(
    (s) => s.size,
    () => 0,
  );
  const { checkEmbeddedLog } = await checker();
  if (quiet || size < 1024 * 1024) return checkEmbeddedLog(dir);
  const start = bytesRead();
  const progress = context.progress({ label: 'log check', ...(start === undefined ? {} : { total: size }), bytes: true });
  const timer = setInterval(() => {
    const now = bytesRead();
    if (start !== undefined && now !== undefined) progress.update(Math.min(size, now - start));
  }, 250);
  try {
    return await checkEmbeddedLog(dir);
  } finally {
    clearInterval(timer);
    progress.stop();
  }
}

function describe(context: CliContext, r: CheckReport): void {
  if (r.format === 'missing') return context.out(`${r.path}: no event log here`);
  context.out(`log:       ${r.path} (format ${r.format === 'empty' ? 'none: empty' : r.format}, ${r.size} bytes, ${formatBytes(r.size)})`);
  context.out(`contents:  ${r.records} records, ${r.events} events, ${r.streams} streams; sound up to byte ${r.lastGoodOffset}`);
  const snapshot = r.snapshot;
  context.out(
    `snapshot:  ${snapshot.state}${snapshot.ackedEnd !== undefined ? ` (durable up to byte ${snapshot.ackedEnd})` : ''}${snapshot.detail ? `: ${snapshot.detail}` : ''}`,
  );
  const p = r.problem;
  if (p) {
    context.out(`problem:   at byte ${p.offset}: ${p.kind}: ${p.detail}`);
    if (p.validRecordAt !== undefined)
      context.out(`           a sound record follows at byte ${p.validRecordAt}: this is damage, not an unfinished last write`);
  }
  if (r.verdict === 'ok') context.out('verdict:   ok');
  else if (r.verdict === 'drops-torn-tail') {
    context.out(
      `verdict:   an unfinished last write (${r.size - (p?.offset ?? r.lastGoodOffset)} bytes at byte ${p?.offset}): never acknowledged; the ` +
        'service drops it when it opens the log (beside a running service it may be a write in progress)',
    );
  } else {
    context.out(`verdict:   damaged at byte ${p?.offset}: the service refuses to open this log; nothing was changed`);
    context.out(
      `repair:    restore the log from a backup, or cut it where the sound records end (removing ${r.size - r.lastGoodOffset} bytes, ` +
        `after a copy of the whole file is kept): authstream log repair --cut-at ${r.lastGoodOffset}`,
    );
  }
}

const verdictCode = (r: CheckReport): ExitCode => (r.format === 'missing' || r.verdict === 'refuses' ? EXIT.FAILURE : EXIT.OK);

const dirOption = ['--dir <dir>', 'the log directory (default: $DATA_DIR/events)'] as const;

export default defineCommand('log', (_program, { run, context, group }) => {
  const log = group('log', 'the embedded event log (DATA_DIR/events): check and repair');

  log
    .command('check')
    .description('read the whole log and check every record (checksums, order, bodies); never writes')
    .option(...dirOption)
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nSafe beside a running service. Exit codes: 0 sound (an unfinished last write, which the service drops at\n' +
        'open, included), 1 damaged (the report names the offset) or no log there, 2 bad arguments or configuration.',
    )
    .action(
      run(async (options: DirOptions) => {
        const report = await checkWithProgress(context, logDir(context, options), !!options.json);
        if (options.json) context.out(JSON.stringify(report, null, 2));
        else describe(context, report);
        return verdictCode(report);
      }),
    );

  log
    .command('repair')
    .description('cut the log at a record boundary, after keeping a copy of the whole file')
    .requiredOption('--cut-at <offset>', 'the byte offset to cut at: where the sound records end, as `log check` prints it', parseOffset)
    .option('--drop-sound-records', 'allow cutting before the end of the sound records (removing sound, acknowledged events)')
    .option(...dirOption)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nRun `authstream log check` first, and stop the service: repair takes the log’s lock and refuses while it\n' +
        'is held. The whole log is copied to events.log.backup-<time> beside it before the cut; the index snapshot\n' +
        '(which describes the uncut log) is removed. Exit codes: 0 repaired (or nothing to cut), 1 refused or failed\n' +
        '(nothing cut) or still damaged after the cut, 2 bad arguments or configuration.',
    )
    .action(
      run(async (options: DirOptions & { cutAt: number; dropSoundRecords?: boolean }) => {
        const dir = logDir(context, options);
        const before = await checkWithProgress(context, dir, !!options.json);
        if (before.format === 'missing' || before.format === 'empty')
          throw new CliError(`${before.path}: there is no log to repair`, EXIT.FAILURE);
        if (before.verdict === 'ok' && options.cutAt === before.lastGoodOffset) {
          context.err(`authstream: ${before.path} is sound and ends at byte ${before.lastGoodOffset}: nothing to cut`);
          return EXIT.OK;
        }
        if (options.cutAt < before.lastGoodOffset && !options.dropSoundRecords) {
          throw new CliError(
            `byte ${options.cutAt} is before the end of the sound records (byte ${before.lastGoodOffset}): cutting there removes ` +
              `${before.lastGoodOffset - options.cutAt} bytes of sound, acknowledged events; pass --drop-sound-records to do it anyway`,
            EXIT.USAGE,
          );
        }
        context.err(`authstream: copying ${before.path} aside, then cutting it at byte ${options.cutAt} …`);
        let result;
        try {
          const { repairEmbeddedLog } = await checker();
          result = await repairEmbeddedLog(dir, { cutAt: options.cutAt, warn: (m) => context.err(m) });
        } catch (error) {
          throw new CliError(`repair refused, nothing was cut: ${error instanceof Error ? error.message : String(error)}`, EXIT.FAILURE);
        }
        if (options.json) context.out(JSON.stringify(result, null, 2));
        else {
          context.out(`cut:       ${before.path} at byte ${result.cutAt}, removing ${result.removedBytes} bytes`);
          context.out(`backup:    ${result.backup} (the whole log as it was)`);
          describe(context, result.after);
        }
        return result.after.verdict === 'ok' ? EXIT.OK : EXIT.FAILURE;
      }),
    );
});
