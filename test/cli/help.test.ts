// Every command answers --help (exit 0, listing its options), and bad arguments exit 2 with commander's message.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cli, cliMany } from './run.js';

const HELP: Record<string, readonly string[]> = {
  '': ['start', 'config', 'audit', 'rebuild', 'events', 'log', '--version', 'Exit codes'],
  start: ['[mode]', 'all', 'api', 'worker', 'Exit codes'],
  config: ['check'],
  'config check': ['--json', 'Exit codes'],
  audit: ['[user]', '--all', '--unknown-logins', 'Exit codes'],
  rebuild: ['MONGODB_URI', 'Exit codes'],
  events: ['tail'],
  'events tail': ['--from-start', '--type', '--no-follow', 'Exit codes'],
  log: ['check', 'repair'],
  'log check': ['--dir', '--json', 'Exit codes'],
  'log repair': ['--cut-at', '--drop-sound-records', '--dir', '--json', 'Exit codes'],
};

const words = (command: string): string[] => (command ? command.split(' ') : []);

describe('authstream --help', () => {
  const entries = Object.entries(HELP);
  const results = cliMany(entries.map(([command]) => [[...words(command), '--help']]));
  entries.forEach(([command, expected], i) => {
    it(`${command || '(the program)'} --help exits 0 and lists its options`, async () => {
      const { code, stdout } = await results[i]!;
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`^Usage: authstream ${command}`.trim()));
      for (const text of expected) assert.ok(stdout.includes(text), `${command} --help mentions ${text}:\n${stdout}`);
    });
  });
});

describe('bad arguments exit 2 with a message', () => {
  const cases: [string[], RegExp][] = [
    [[], /Usage: authstream/],
    [['nosuchcommand'], /unknown command 'nosuchcommand'/],
    [['start', 'everything'], /'everything' is invalid.*Allowed choices are all, api, worker/s],
    [['start', 'api', 'extra'], /too many arguments/],
    [['audit'], /name one account \(<user>\), or give --all or --unknown-logins/],
    [['config', 'check', '--bogus'], /unknown option '--bogus'/],
    [['events', 'tail', '--type', 'UserExploded'], /unknown event type 'UserExploded'/],
    [['log', 'repair'], /required option '--cut-at <offset>' not specified/],
    [['log', 'repair', '--cut-at', 'twelve'], /must be a byte offset/],
    [['log'], /Usage: authstream log/],
  ];
  const results = cliMany(cases.map(([args]) => [args]));
  cases.forEach(([args, message], i) => {
    it(`authstream ${args.join(' ') || '(nothing)'}`, async () => {
      const { code, stderr } = await results[i]!;
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
    });
  });

  it('an invalid configuration exits 2 naming the variable', async () => {
    const { code, stderr } = await cli(['audit', 'alice'], { PORT: 'eighty' });
    assert.equal(code, 2);
    assert.match(stderr, /PORT: must be a whole number/);
  });

  it('api without shared servers exits 2', async () => {
    const { code, stderr } = await cli(['start', 'api']);
    assert.equal(code, 2);
    assert.match(stderr, /EVENTSTORE_URL, AMQP_URL: required to run 'api'/);
  });
});
