// `authstream createsuperuser`: Django's `manage.py createsuperuser` (the flow: ../createsuperuser.ts) over the
// configured store, with the write side composed in-process (composeUseCases, no HTTP). The flags follow the user
// model of the configuration: --<USERNAME_FIELD> and one --<field> per REQUIRED_FIELDS entry; any other is an error.
//
// The read model: the CLI has none of its own on the embedded default, and new integer ids continue from the highest
// id the read model has seen, so an in-memory one is rebuilt from the log (the read-model projection, as the service
// does at start) and kept following it while the command runs. It also gives the early "already taken" answer; the
// reservation claim in the use case is what enforces uniqueness.
import { randomUUID } from 'node:crypto';
import { Option } from 'commander';
import type { ReadStream } from 'node:tty';
import type { Config } from '../../config.js';
import { composeUseCases, configuredJwt } from '../../commands/compose.js';
import { isDomainError } from '../../commands/decider.js';
import { loadJwtKeys } from '../../crypto/jwt-keys.js';
import { argon2Hasher } from '../../crypto/passwords.js';
import { loadSecretKey } from '../../crypto/secret-key.js';
import { silentLogger } from '../../log.js';
import { readModelCheckpoints } from '../../projections/checkpoints.js';
import { readModelProjection } from '../../projections/read-model.projection.js';
import { SubscriptionRunner } from '../../projections/runner.js';
import { createMemoryReadModel } from '../../readmodel/memory.js';
import { userModel, type UserModel } from '../../user-model.js';
import { defineCommand, type CliContext } from '../command.js';
import { createSuperuser, type SuperuserTarget } from '../createsuperuser.js';
import { ttyPrompter, type TtyPrompter } from '../prompt.js';
import { openWritableStore } from '../writable-store.js';

/** What the events of a createsuperuser record as their actor. */
export const SUPERUSER_ACTOR = 'cli:createsuperuser';

/** The accounts the command works on; close() stops the projection and closes the store. */
async function openTarget(context: CliContext, config: Config): Promise<SuperuserTarget & { close(): Promise<void> }> {
  const store = await openWritableStore(context, config, 'createsuperuser');
  const readModel = createMemoryReadModel();
  const projection = new SubscriptionRunner({
    name: 'read-model',
    store,
    checkpoints: readModelCheckpoints(readModel),
    handle: readModelProjection(readModel),
    log: silentLogger,
  });
  try {
    const secretKey = config.SECRET_KEY ?? (await loadSecretKey(config.DATA_DIR, silentLogger));
    const now = () => new Date();
    const jwt = configuredJwt(config, secretKey, now, await loadJwtKeys(config));
    const hasher = argon2Hasher({
      memoryKiB: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
      maxQueue: config.ARGON2_MAX_QUEUE,
    });
    await projection.start(); // resolves once caught up with the log
    const { useCases } = composeUseCases({
      config,
      store,
      accountKeys: store.accountKeys,
      readModel,
      hasher,
      now,
      secretKey,
      jwt,
      readModelAt: async () => {},
    });
    const metadata = { correlationId: randomUUID(), actor: SUPERUSER_ACTOR };
    return {
      async taken(values) {
        try {
          await useCases.registration.checkAvailable(values);
          return [];
        } catch (error) {
          if (isDomainError(error, 'taken')) return [...(error.details.fields ?? [])];
          throw error;
        }
      },
      async create(registration) {
        await useCases.registration.createSuperuser(registration, metadata);
      },
      async close() {
        await projection.stop();
        await readModel.close();
        await store.close();
      },
    };
  } catch (error) {
    await projection.stop();
    await store.close();
    throw error;
  }
}

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
        let opening: ReturnType<typeof openTarget> | undefined;
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
