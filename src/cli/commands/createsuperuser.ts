// `authstream createsuperuser`: Django's `manage.py createsuperuser` (the flow: ../createsuperuser.ts) over the
// configured store, with the write side composed in-process (composeUseCases, no HTTP). The flags follow the user
// model of the configuration: --<USERNAME_FIELD> and one --<field> per REQUIRED_FIELDS entry; any other is an error.
//
// The read model: the CLI has none of its own on the embedded default, and new integer ids continue from the highest
// id the read model has seen, so an in-memory one is rebuilt from the log (the read-model projection, as the service
// does at start) and kept following it while the command runs. It also gives the early "already taken" answer; the
// reservation claim in the use case is what enforces uniqueness.
import { Option } from 'commander';
import type { ReadStream } from 'node:tty';
import { userModel, type UserModel } from '../../user-model.js';
import { defineCommand, type CliContext } from '../command.js';
import type { SuperuserTarget } from '../createsuperuser.js';
import type { TtyPrompter } from '../prompt.js';

/** The flags this configuration's user model has: its USERNAME_FIELD, then its REQUIRED_FIELDS. */
function modelFlags(context: CliContext): { model: UserModel | undefined; names: string[] } {
  try {
    const model = userModel(context.config());
    return { model, names: [model.usernameField, ...model.requiredFields.map((f) => f.name)] };
  } catch {
    // An invalid configuration: the action reports it (exit 2); Django's default user's flags meanwhile.
    return { model: undefined, names: ['username', 'email'] };
  }
}

export default defineCommand('createsuperuser', (program, { run, context }) => {
  const { names } = modelFlags(context);
  const command = program
    .command('createsuperuser')
    .description('create a superuser (staff and superuser), as Django’s manage.py createsuperuser')
    .option(
      '--noinput, --no-input',
      `do NOT prompt for input of any kind: use --${names[0]} (or DJANGO_SUPERUSER_${names[0]!.toUpperCase()}) with it, ` +
        'and an option (or variable) for any other required field. Without DJANGO_SUPERUSER_PASSWORD the superuser gets ' +
        'an unusable password and cannot log in',
    )
    .option('--skip-password-validation', 'accept a password that Django’s password validators refuse (DJANGO_SUPERUSER_PASSWORD too)');
  for (const name of names) {
    command.addOption(new Option(`--${name} <${name}>`, `the superuser’s ${name.replaceAll('_', ' ')}`));
  }
  command
    .addHelpText(
      'after',
      '\nThe options follow the configured user model (USERNAME_FIELD, REQUIRED_FIELDS, USER_FIELDS): --username and\n' +
        '--email on Django’s user, --email and e.g. --name on an email user model. With --noinput each value may come\n' +
        'from DJANGO_SUPERUSER_<FIELD> instead (an option wins), the password from DJANGO_SUPERUSER_PASSWORD.\n' +
        'Unlike Django, DJANGO_SUPERUSER_PASSWORD must pass Django’s password validators (--skip-password-validation to\n' +
        'accept it anyway), and names are unique case-insensitively. Without --noinput it prompts, as Django does, and\n' +
        'needs a terminal (otherwise it says so and does nothing). Embedded log: stop the service first (the command\n' +
        'appends to the log); EventStoreDB: runs beside a running service.\n' +
        'Exit codes: 0 created (or skipped: no terminal), 1 refused (a taken or invalid value, a weak password, a missing\n' +
        'option with --noinput, Ctrl-C) or failed, 2 an unknown option or an invalid configuration.',
    )
    .action(
      run(async (options: Record<string, string | boolean | undefined>) => {
        const config = context.config();
        const model = userModel(config);
        const flags = Object.fromEntries(names.map((n) => [n, typeof options[n] === 'string' ? options[n] : undefined]));
        const stdin = process.stdin as ReadStream;
        const interactive = options.input !== false;
        const tty = stdin.isTTY === true;
        // The flow and the write side load only now: `authstream --help` and every other command start without them.
        const [{ createSuperuser }, { ttyPrompter }, { openTarget }] = await Promise.all([
          import('../createsuperuser.js'),
          import('../prompt.js'),
          import('../superuser-target.js'),
        ]);
        let opening: Promise<SuperuserTarget & { close(): Promise<void> }> | undefined;
        let prompter: TtyPrompter | undefined;
        try {
          if (interactive && tty) prompter = ttyPrompter(stdin, context.stdout);
          return await createSuperuser({
            model,
            flags,
            env: context.env,
            interactive,
            tty,
            skipPasswordValidation: options.skipPasswordValidation === true,
            ...(prompter ? { prompter } : {}),
            out: context.out,
            err: context.err,
            target: () => (opening ??= openTarget(context, config)),
          });
        } finally {
          prompter?.close();
          await (await opening?.catch(() => undefined))?.close();
        }
      }),
    );
});
