// The createsuperuser flow (src/cli/createsuperuser.ts) against what Django 3.2's `manage.py createsuperuser` did,
// recorded in test/fixtures/djoser/createsuperuser.json: every recorded run (flags, environment, TTY answers) is
// replayed in order through the flow, with the accounts in memory and the prompts answered from the recording, and
// its exit code, output and TTY transcript compared. Where authstream differs on purpose, the expected result says so.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { DomainError, type UniqueField } from '../../src/commands/decider.js';
import type { Registration } from '../../src/commands/registration.js';
import { userModel } from '../../src/user-model.js';
import { createSuperuser, PromptCancelled, type SuperuserTarget } from '../../src/cli/createsuperuser.js';

interface Recorded {
  name: string;
  settings: { user_model: string; required_fields?: string[] };
  command: { argv: string[]; env: Record<string, string>; tty_answers?: string[] };
  result: { exit_code: number; stdout?: string; stderr?: string; transcript?: string };
  users_after: Record<string, unknown>[];
}

const recorded = JSON.parse(
  await readFile(path.resolve(import.meta.dirname, '../fixtures/djoser/createsuperuser.json'), 'utf8'),
) as Recorded[];

/** The recorded settings as authstream's configuration. */
function envOf(settings: Recorded['settings']): Record<string, string> {
  if (settings.user_model === 'auth.User') return {};
  return { USERNAME_FIELD: 'email', USER_FIELDS: settings.required_fields?.includes('name') ? 'name:255:required' : '' };
}

/** Accounts in memory, unique case-insensitively as authstream's are. */
function memoryTarget(emailUnique: boolean) {
  const users: Registration[] = [];
  const key = (s: string) => s.normalize('NFKC').toLowerCase();
  const takenBy = (values: { username?: string; email?: string }): UniqueField[] => [
    ...(values.username !== undefined && users.some((u) => u.username !== '' && key(u.username) === key(values.username!))
      ? (['username'] as const)
      : []),
    ...(emailUnique && values.email && users.some((u) => key(u.email) === key(values.email!)) ? (['email'] as const) : []),
  ];
  const target: SuperuserTarget = {
    taken: async (values) => takenBy(values),
    async create(registration) {
      const fields = takenBy({ ...(registration.username ? { username: registration.username } : {}), email: registration.email });
      if (fields.length) throw new DomainError('taken', { fields });
      users.push(registration);
    },
  };
  return { users, target };
}

/** argv after `createsuperuser` as the flow's inputs: --noinput, and --<field> values. */
function parseArgv(argv: string[]) {
  const flags: Record<string, string> = {};
  let interactive = true;
  for (let i = 2; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--noinput' || arg === '--no-input') interactive = false;
    else flags[arg.slice(2)] = argv[++i]!;
  }
  return { flags, interactive };
}

/** What authstream answers instead, where it differs from Django on purpose. */
const DIFFERENT: Record<string, { why: string; result: Recorded['result']; skipValidation?: boolean }> = {
  // Django creates a second account for a case variant of a unique email; authstream's uniqueness ignores case.
  'email.noinput.duplicate_case_variant': {
    why: 'case-insensitive uniqueness',
    result: { exit_code: 1, stdout: '', stderr: 'CommandError: Error: That email is already taken.\n' },
  },
  // Django's exact check passes and the insert fails with a traceback; authstream says it is taken.
  'email.noinput.duplicate_domain_case': {
    why: 'case-insensitive uniqueness',
    result: { exit_code: 1, stdout: '', stderr: 'CommandError: Error: That email is already taken.\n' },
  },
  // DJANGO_SUPERUSER_PASSWORD=1234: Django takes it; authstream takes it only with --skip-password-validation.
  'default.noinput.env': { why: 'validated password', result: { exit_code: 0 }, skipValidation: true },
  'email.noinput.env': { why: 'validated password', result: { exit_code: 0 }, skipValidation: true },
};

describe('createsuperuser replays Django’s recorded runs', () => {
  const groups = new Map<string, ReturnType<typeof memoryTarget>>();
  let previousCount = new Map<string, number>();
  for (const run of recorded) {
    const group = run.name.split('.')[0]!;
    // --help is commander's; an option the model does not have is a usage error (exit 2) before the flow runs.
    if (run.name.endsWith('.help') || run.result.exit_code === 2) continue;
    const different = DIFFERENT[run.name];
    it(`${run.name}${different ? ` (differs: ${different.why})` : ''}`, async () => {
      const config = loadConfig(envOf(run.settings));
      if (!groups.has(group)) groups.set(group, memoryTarget(config.EMAIL_UNIQUE));
      const { users, target } = groups.get(group)!;
      const { flags, interactive } = parseArgv(run.command.argv);
      const answers = [...(run.command.tty_answers ?? [])];
      let stdout = '';
      let stderr = '';
      let transcript = '';
      const code = await createSuperuser({
        model: userModel(config),
        flags,
        env: run.command.env,
        interactive,
        tty: answers.length > 0,
        skipPasswordValidation: different?.skipValidation === true,
        systemUsername: 'root',
        prompter: {
          async ask(prompt) {
            if (answers.length === 0) throw new PromptCancelled('no more answers');
            const answer = answers.shift()!;
            transcript += `${prompt}${answer}\n`;
            return answer;
          },
          async askHidden(prompt) {
            if (answers.length === 0) throw new PromptCancelled('no more answers');
            transcript += `${prompt}\n`;
            return answers.shift()!;
          },
        },
        out: (line) => {
          stdout += `${line}\n`;
          transcript += `${line}\n`;
        },
        err: (line) => {
          stderr += `${line}\n`;
          transcript += `${line}\n`;
        },
        target: async () => target,
      });
      const expected = different?.result ?? run.result;
      assert.equal(code, expected.exit_code);
      if (expected.transcript !== undefined) assert.equal(transcript, expected.transcript);
      else if (!different?.skipValidation) {
        // Two wordings of authstream's own: the command's name, and a warning for a superuser that cannot log in.
        assert.equal(stdout, expected.stdout!.replace('`manage.py createsuperuser`', '`authstream createsuperuser`'));
        const warning = /^authstream: warning: no DJANGO_SUPERUSER_PASSWORD was set, .*cannot log in.*\n/m;
        const unusable = !interactive && code === 0 && run.command.env.DJANGO_SUPERUSER_PASSWORD === undefined;
        assert.equal(warning.test(stderr), unusable);
        assert.equal(stderr.replace(warning, ''), expected.stderr);
      }
      assert.equal(answers.length, 0, 'every recorded answer was asked for');
      // The account Django made, made the same way (flags, staff, usable password or not).
      const before = previousCount.get(group) ?? 0;
      if (!different || different.skipValidation) {
        const djangoMade = run.users_after.length - (previousCount.get(`${group}:django`) ?? 0);
        assert.equal(users.length - before, djangoMade);
        if (djangoMade === 1) {
          const made = users.at(-1)!;
          const django = run.users_after.at(-1)!;
          assert.equal(made.email, django.email);
          if ('username' in django) assert.equal(made.username, django.username);
          if ('name' in django) assert.deepEqual(made.profile, { name: django.name });
          assert.equal(made.password !== null, django.has_usable_password);
          if (django.password_is_1234) assert.equal(made.password, '1234');
        }
      }
      previousCount = new Map([...previousCount, [group, users.length], [`${group}:django`, run.users_after.length]]);
    });
  }
});

describe('createsuperuser: authstream’s own rules', () => {
  const model = userModel(loadConfig({}));
  const run = async (options: { flags?: Record<string, string>; env?: Record<string, string>; skip?: boolean }) => {
    const { users, target } = memoryTarget(false);
    const lines: string[] = [];
    const code = await createSuperuser({
      model,
      flags: options.flags ?? {},
      env: options.env ?? {},
      interactive: false,
      tty: false,
      skipPasswordValidation: options.skip === true,
      out: (l) => lines.push(`out: ${l}`),
      err: (l) => lines.push(`err: ${l}`),
      target: async () => target,
    });
    return { code, lines, users };
  };

  it('a weak DJANGO_SUPERUSER_PASSWORD is refused with the validators’ messages, exit 1; accepted with --skip-password-validation', async () => {
    const weak = await run({ flags: { username: 'admin', email: 'admin@example.com' }, env: { DJANGO_SUPERUSER_PASSWORD: 'admin123' } });
    assert.equal(weak.code, 1);
    assert.deepEqual(weak.lines.slice(0, 2), ['err: The password is too similar to the username.', 'err: This password is too common.']);
    assert.match(
      weak.lines[2]!,
      /^err: CommandError: DJANGO_SUPERUSER_PASSWORD does not pass the password validators.*--skip-password-validation/,
    );
    assert.equal(weak.users.length, 0);
    const skipped = await run({
      flags: { username: 'admin', email: 'admin@example.com' },
      env: { DJANGO_SUPERUSER_PASSWORD: 'admin123' },
      skip: true,
    });
    assert.deepEqual(skipped.lines, ['out: Superuser created successfully.']);
    assert.equal(skipped.users[0]!.password, 'admin123');
  });

  it('without DJANGO_SUPERUSER_PASSWORD: an unusable password, and a warning that it cannot log in', async () => {
    const { code, lines, users } = await run({ flags: { username: 'admin', email: 'admin@example.com' } });
    assert.equal(code, 0);
    assert.equal(lines[0], 'out: Superuser created successfully.');
    assert.match(lines[1]!, /^err: authstream: warning: .*unusable password and cannot log in/);
    assert.equal(users[0]!.password, null);
  });

  it('Ctrl-C at a prompt: "Operation cancelled.", exit 1, nothing created', async () => {
    const { users, target } = memoryTarget(false);
    const lines: string[] = [];
    const code = await createSuperuser({
      model,
      flags: {},
      env: {},
      interactive: true,
      tty: true,
      skipPasswordValidation: false,
      systemUsername: 'root',
      prompter: {
        ask: async (prompt) => (prompt.startsWith('Username') ? 'someone' : ''),
        askHidden: async () => {
          throw new PromptCancelled('Ctrl-C');
        },
      },
      out: (l) => lines.push(l),
      err: (l) => lines.push(l),
      target: async () => target,
    });
    assert.equal(code, 1);
    assert.deepEqual(lines, ['\nOperation cancelled.']);
    assert.equal(users.length, 0);
  });

  it('the default username is the OS user’s, folded to ASCII and lower case, and only if valid and free', async () => {
    const prompts: string[] = [];
    const ask = async (systemUsername: string, taken: string[] = []) => {
      const { target } = memoryTarget(false);
      for (const username of taken) await target.create({ username, email: '', password: null });
      await createSuperuser({
        model,
        flags: {},
        env: {},
        interactive: true,
        tty: true,
        skipPasswordValidation: false,
        systemUsername,
        prompter: {
          ask: async (prompt) => {
            prompts.push(prompt);
            throw new PromptCancelled('enough');
          },
          askHidden: async () => '',
        },
        out: () => {},
        err: () => {},
        target: async () => target,
      });
      return prompts.at(-1);
    };
    assert.equal(await ask('Zoë Müller'), "Username (leave blank to use 'zoemuller'): ");
    assert.equal(await ask('root', ['ROOT']), 'Username: ');
    assert.equal(await ask('no/slash'), 'Username: ');
  });
});
