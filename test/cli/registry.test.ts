// How another engineer's command plugs in: one defineCommand module, one line in the list. Run in process here.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { InvalidArgumentError } from 'commander';
import { CliError, defineCommand, EXIT } from '../../src/cli/command.js';
import { createContext } from '../../src/cli/context.js';
import { buildProgram, runProgram } from '../../src/cli/program.js';
import { commands } from '../../src/cli/commands/index.js';
import { createProgress } from '../../src/cli/progress.js';

function io(env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (c: Buffer) => out.push(c.toString()));
  stderr.on('data', (c: Buffer) => err.push(c.toString()));
  return { streams: { stdout, stderr, env }, out: () => out.join(''), err: () => err.join('') };
}

// What import-django might look like: an argument, options, a parser, the three exit codes.
const importLike = defineCommand('import-example', (program, { run, context }) => {
  program
    .command('import-example')
    .description('an example command')
    .argument('<file>', 'a dump')
    .option('--batch <n>', 'rows per append', (v) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError('must be a number');
      return Number(v);
    })
    .action(
      run((file: string, options: { batch?: number }) => {
        if (file === 'missing.json') throw new CliError(`${file}: no such file`);
        context.out(`importing ${file} in batches of ${options.batch ?? 100} (DATA_DIR=${context.config().DATA_DIR})`);
        return EXIT.OK;
      }),
    );
});
// A second command in an existing group.
const eventsCount = defineCommand('events count', (_program, { run, context, group }) => {
  group('events', 'the event log')
    .command('count')
    .action(run(() => context.out('0')));
});

describe('the command registry', () => {
  const runWith = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const t = io(env);
    const code = await runProgram(buildProgram(createContext(t.streams), [...commands, importLike, eventsCount]), argv);
    return { code, out: t.out(), err: t.err() };
  };

  it('runs an added command with its options and the shared configuration', async () => {
    const { code, out } = await runWith(['import-example', 'users.json', '--batch', '50'], { DATA_DIR: '/srv/data' });
    assert.equal(code, 0);
    assert.equal(out, 'importing users.json in batches of 50 (DATA_DIR=/srv/data)\n');
  });

  it('maps its errors to exit codes: CliError 1, commander errors 2, invalid configuration 2', async () => {
    const missing = await runWith(['import-example', 'missing.json']);
    assert.deepEqual([missing.code, missing.err], [1, 'authstream: missing.json: no such file\n']);
    const badOption = await runWith(['import-example', 'a.json', '--batch', 'many']);
    assert.equal(badOption.code, 2);
    assert.match(badOption.err, /option '--batch <n>' argument 'many' is invalid\. must be a number/);
    const badConfig = await runWith(['import-example', 'a.json'], { PORT: 'x' });
    assert.equal(badConfig.code, 2);
    assert.match(badConfig.err, /PORT: must be a whole number/);
  });

  it('adds to an existing group and lists the command in the help', async () => {
    const { code, out } = await runWith(['events', 'count']);
    assert.deepEqual([code, out], [0, '0\n']);
    const help = await runWith(['events', '--help']);
    assert.match(help.out, /tail[\s\S]*count/);
    assert.match((await runWith(['--help'])).out, /import-example \[options\] <file>/);
  });

  it('has unique command names', () => {
    assert.equal(new Set(commands.map((c) => c.name)).size, commands.length);
  });
});

describe('progress', () => {
  it('is plain periodic lines on stderr when not on a terminal', async () => {
    const t = io();
    const progress = createProgress({ label: 'work', total: 200, unit: 'events', intervalMs: 20 }, t.streams);
    progress.update(50);
    await new Promise((r) => setTimeout(r, 70));
    progress.stop('work: done');
    assert.match(t.err(), /^work: 50 events of 200 events \(25%\), \d+ s, \d+ events\/s, ETA (\d+ s|\d+ min \d+ s)\n/);
    assert.match(t.err(), /work: done\n$/);
    assert.equal(t.out(), '');
  });
});
