// `authstream createsuperuser` as a child process on a temp DATA_DIR: --noinput with flags and DJANGO_SUPERUSER_*,
// the refusals, the non-TTY skip, and the prompts on a real pseudo-terminal (util-linux `script`); then the service
// on that DATA_DIR logs the superusers in, and they are staff (GET /auth/users/ lists everyone).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestService, type TestService } from '../support/service.js';
import { cli, cliMany, ROOT } from './run.js';

const STRONG = 'Vq8-lunar-otter-41';
const SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0 ? 'script' : null;

/**
 * Runs createsuperuser on a pseudo-terminal (`script -qfec`), answering each prompt once it shows: `[prompt, answer]`
 * (an answer ends with Enter; '\x03' alone is Ctrl-C). Resolves with the exit code and the terminal's transcript.
 */
async function onTerminal(args: string[], env: Record<string, string>, conversation: [string, string][]) {
  const command = [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'createsuperuser', ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn(SCRIPT!, ['-qfec', command, '/dev/null'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'dumb', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  let seen = 0;
  try {
    for (const [prompt, answer] of conversation) {
      const deadline = Date.now() + 20_000;
      while (out.indexOf(prompt, seen) < 0) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`prompt ${JSON.stringify(prompt)} not seen:\n${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      seen = out.indexOf(prompt, seen) + prompt.length;
      child.stdin.write(answer === '\x03' ? answer : `${answer}\r`);
    }
    const code = await Promise.race([
      closed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit:\n${out}`)), 20_000)),
    ]);
    return { code, transcript: out.replace(/\r\n/g, '\n') };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

describe('authstream createsuperuser', () => {
  let dataDir: string;
  let svc: TestService | undefined;
  let env: Record<string, string>;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-cli-superuser-'));
    env = { DATA_DIR: dataDir };
  });
  after(async () => {
    await svc?.dispose(); // removes dataDir
    await rm(dataDir, { recursive: true, force: true });
  });

  it('--noinput with flags, and with DJANGO_SUPERUSER_* alone: "Superuser created successfully.", exit 0', async () => {
    const [flags, fromEnv] = await Promise.all(
      cliMany(
        [
          [
            ['createsuperuser', '--noinput', '--username', 'boss', '--email', 'boss@example.com'],
            { ...env, DJANGO_SUPERUSER_PASSWORD: STRONG },
          ],
          [
            ['createsuperuser', '--no-input'],
            {
              ...env,
              DJANGO_SUPERUSER_USERNAME: 'envboss',
              DJANGO_SUPERUSER_EMAIL: 'envboss@example.com',
              DJANGO_SUPERUSER_PASSWORD: STRONG,
            },
          ],
        ],
        1, // one writer at a time: the embedded log's lock
      ),
    );
    for (const r of [flags!, fromEnv!]) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Superuser created successfully.\n');
      assert.equal(r.stderr, '');
    }
  });

  it('refusals exit 1 with Django’s messages: a taken name (any case), --noinput without the login, a missing required field', async () => {
    const [taken, noLogin, noEmail] = await Promise.all(
      cliMany(
        [
          [['createsuperuser', '--noinput', '--username', 'BOSS', '--email', 'other@example.com'], env],
          [['createsuperuser', '--noinput', '--email', 'x@example.com'], env],
          [['createsuperuser', '--noinput', '--username', 'someone'], env],
        ],
        1,
      ),
    );
    assert.deepEqual([taken!.code, taken!.stdout, taken!.stderr], [1, '', 'CommandError: Error: That username is already taken.\n']);
    assert.deepEqual([noLogin!.code, noLogin!.stderr], [1, 'CommandError: You must use --username with --noinput.\n']);
    assert.deepEqual([noEmail!.code, noEmail!.stderr], [1, 'CommandError: You must use --email with --noinput.\n']);
  });

  it('a weak DJANGO_SUPERUSER_PASSWORD is refused with the validators’ messages (exit 1), unless --skip-password-validation', async () => {
    const args = ['createsuperuser', '--noinput', '--username', 'weakling', '--email', 'weak@example.com'];
    const weak = await cli(args, { ...env, DJANGO_SUPERUSER_PASSWORD: '1234' });
    assert.equal(weak.code, 1);
    assert.equal(weak.stdout, '');
    assert.match(
      weak.stderr,
      /^This password is too short\. It must contain at least 8 characters\.\nThis password is too common\.\nThis password is entirely numeric\.\nCommandError: DJANGO_SUPERUSER_PASSWORD does not pass the password validators .*--skip-password-validation/,
    );
    const forced = await cli([...args, '--skip-password-validation'], { ...env, DJANGO_SUPERUSER_PASSWORD: '1234' });
    assert.equal(forced.code, 0, forced.stderr);
  });

  it('without a password: created with an unusable one, and a warning that it cannot log in', async () => {
    const r = await cli(['createsuperuser', '--noinput', '--username', 'nopass', '--email', 'nopass@example.com'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Superuser created successfully.\n');
    assert.match(r.stderr, /warning: no DJANGO_SUPERUSER_PASSWORD was set, so the superuser has an unusable password and cannot log in/);
  });

  it('interactive without a terminal: Django’s "skipped" message, exit 0, nothing created', async () => {
    const r = await cli(['createsuperuser'], env); // stdin is /dev/null
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'Superuser creation skipped due to not running in a TTY. You can run `authstream createsuperuser` in your project to create one manually.\n',
    );
  });

  it('the options follow the user model: --email and --name on an email model, --username unknown there (exit 2)', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'authstream-cli-superuser-email-'));
    try {
      const emailEnv = { DATA_DIR: other, USERNAME_FIELD: 'email', USER_FIELDS: 'name:255:required' };
      const made = await cli(['createsuperuser', '--noinput', '--email', 'admin@example.com', '--name', 'Admin'], emailEnv);
      assert.equal(made.code, 0, made.stderr);
      const [unknown, noName, upper] = await Promise.all(
        cliMany(
          [
            [['createsuperuser', '--noinput', '--username', 'admin'], emailEnv],
            [['createsuperuser', '--noinput', '--email', 'ann@example.com'], emailEnv],
            [['createsuperuser', '--noinput', '--email', 'ADMIN@example.com', '--name', 'Again'], emailEnv],
          ],
          1,
        ),
      );
      assert.equal(unknown!.code, 2);
      assert.match(unknown!.stderr, /unknown option '--username'/);
      assert.deepEqual([noName!.code, noName!.stderr], [1, 'CommandError: You must use --name with --noinput.\n']);
      assert.deepEqual([upper!.code, upper!.stderr], [1, 'CommandError: Error: That email is already taken.\n']);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it(
    'on a terminal: Django’s prompts, errors and password questions, passwords not echoed',
    { skip: SCRIPT ? false : 'no `script` (util-linux) here' },
    async () => {
      const { code, transcript } = await onTerminal([], { ...env, USER: 'boss' }, [
        // The OS user "boss" is taken: no default offered.
        ['Username: ', 'bad name!'],
        ['Username: ', 'Boss'],
        ['Username: ', 'ttyadmin'],
        ['Email address: ', 'nope'],
        ['Email address: ', ''],
        ['Password: ', '1234'],
        ['Password (again): ', '1234'],
        ['[y/N]: ', 'n'],
        ['Password: ', STRONG],
        ['Password (again): ', `${STRONG}x`],
        ['Password: ', STRONG],
        ['Password (again): ', STRONG],
      ]);
      assert.equal(code, 0, transcript);
      assert.equal(
        transcript,
        [
          'Username: bad name!',
          'Error: Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
          'Username: Boss',
          'Error: That username is already taken.',
          'Username: ttyadmin',
          'Email address: nope',
          'Error: Enter a valid email address.',
          'Email address: ',
          'Password: ',
          'Password (again): ',
          'This password is too short. It must contain at least 8 characters.',
          'This password is too common.',
          'This password is entirely numeric.',
          'Bypass password validation and create user anyway? [y/N]: n',
          'Password: ',
          'Password (again): ',
          "Error: Your passwords didn't match.",
          'Password: ',
          'Password (again): ',
          'Superuser created successfully.',
          '',
        ].join('\n'),
      );
      assert.doesNotMatch(transcript, /1234\n|Vq8/, 'no password echoed');
    },
  );

  it(
    'on a terminal: the OS user as the default username; Ctrl-C at the password: "Operation cancelled.", exit 1',
    { skip: SCRIPT ? false : 'no `script` (util-linux) here' },
    async () => {
      const { code, transcript } = await onTerminal([], { ...env, USER: 'Ops User' }, [
        ["Username (leave blank to use 'opsuser'): ", ''],
        ['Email address: ', 'ops@example.com'],
        ['Password: ', '\x03'],
      ]);
      assert.equal(code, 1, transcript);
      assert.match(transcript, /Password: \n\nOperation cancelled\.\n$/);
      const none = await cli(['audit', 'opsuser'], env);
      assert.equal(none.code, 1, 'nothing created');
    },
  );

  it('the service on that DATA_DIR: the superusers log in and are staff (GET /auth/users/ lists everyone); the lock is explained while it runs', async () => {
    svc = await startTestService({}, { dataDir });
    const login = await svc.call('POST', '/auth/token/login/', { username: 'boss', password: STRONG });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const users = await svc.call('GET', '/auth/users/', undefined, { Authorization: `Token ${login.body.auth_token}` });
    assert.equal(users.status, 200);
    const names = (users.body as { username: string }[]).map((u) => u.username).sort();
    assert.deepEqual(names, SCRIPT ? ['boss', 'envboss', 'nopass', 'ttyadmin', 'weakling'] : ['boss', 'envboss', 'nopass', 'weakling']);
    const env2 = await svc.call('POST', '/auth/jwt/create/', { username: 'envboss', password: STRONG });
    assert.equal(env2.status, 200);
    if (SCRIPT) assert.equal((await svc.call('POST', '/auth/token/login/', { username: 'ttyadmin', password: STRONG })).status, 200);
    assert.equal((await svc.call('POST', '/auth/token/login/', { username: 'nopass', password: '' })).status, 400);
    const refused = await cli(['createsuperuser', '--noinput', '--username', 'late', '--email', 'late@example.com'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is in use by a running authstream, so nothing was done\.\n {2}createsuperuser appends to the log/);
  });
});
