// `authstream createsuperuser`, as Django 3.2's `manage.py createsuperuser`
// (django/contrib/auth/management/commands/createsuperuser.py; docs/djoser-reference-email-and-admin.md §7): the
// same flags, DJANGO_SUPERUSER_* variables, prompts, messages and exit codes. The differences, on purpose:
// - uniqueness is authstream's: case-insensitive (Django checks the exact value, then may fail on insert);
// - DJANGO_SUPERUSER_PASSWORD goes through Django's password validators and a weak one is refused (Django takes any),
//   unless --skip-password-validation is given;
// - a unique email (EMAIL_UNIQUE) that another account holds is refused at its prompt, not at the insert.
// The flow is here, over injected ports (where accounts are, how to prompt, where lines go), so it runs the same on a
// terminal, in tests, and over any store; ./commands/createsuperuser.ts wires it to the CLI.
import { userInfo } from 'node:os';
import { pyStrip, validatePassword, type PasswordUser } from '../auth/password-validators.js';
import type { Registration } from '../commands/registration.js';
import { isDomainError, type UniqueField } from '../commands/decider.js';
import { isEmail } from '../http/fields.js';
import type { UserModel } from '../user-model.js';
import { EXIT, type ExitCode } from './command.js';

/** Where accounts are: opened only when first needed (a usage error touches no store). */
export interface SuperuserTarget {
  /** The unique fields another account already holds (case-insensitive, as authstream compares them). */
  taken(values: { username?: string; email?: string }): Promise<UniqueField[]>;
  /** Creates the superuser (staff and superuser, active); DomainError('taken') if a name went meanwhile. */
  create(registration: Registration): Promise<void>;
}

/** Thrown by a prompter on Ctrl-C (or the end of input): "Operation cancelled.", exit 1. */
export class PromptCancelled extends Error {
  override name = 'PromptCancelled';
}

export interface Prompter {
  /** Prints `prompt` and reads a line, echoed (Python's input()). */
  ask(prompt: string): Promise<string>;
  /** Prints `prompt` and reads a line without echo (getpass). */
  askHidden(prompt: string): Promise<string>;
}

export interface SuperuserOptions {
  readonly model: UserModel;
  /** --<USERNAME_FIELD> and one --<field> per REQUIRED_FIELDS entry: undefined when not given. */
  readonly flags: Readonly<Record<string, string | undefined>>;
  readonly env: NodeJS.ProcessEnv;
  /** false with --noinput / --no-input. */
  readonly interactive: boolean;
  /** Whether stdin is a terminal (interactive mode needs one). */
  readonly tty: boolean;
  readonly skipPasswordValidation: boolean;
  /** The operating system's user name, the default username (getpass.getuser()); taken from env by default. */
  readonly systemUsername?: string;
  readonly prompter?: Prompter;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly target: () => Promise<SuperuserTarget>;
}

/** A model field as Django's Field.clean() checks it: blank, the field's validators, max_length. */
interface Field {
  readonly name: string;
  readonly verboseName: string;
  /** Django's messages for `value`; empty when valid. */
  clean(value: string): string[];
}

const capfirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const codePoints = (s: string) => [...s].length;
// Django's UnicodeUsernameValidator (`^[\w.@+-]+\Z`), on the NFKC form that create_user stores, as the API checks it.
const USERNAME = /^[\p{L}\p{N}_@.+-]+$/u;
const USERNAME_MESSAGE = 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';

function field(
  name: string,
  verboseName: string,
  spec: { blank: boolean; maxLength: number; check?: (value: string) => string | null },
): Field {
  return {
    name,
    verboseName,
    clean(value) {
      // Field.validate: a blank value stops there; validators never see an empty value.
      if (value === '') return spec.blank ? [] : ['This field cannot be blank.'];
      const messages: string[] = [];
      const invalid = spec.check?.(value);
      if (invalid) messages.push(invalid);
      const length = codePoints(value);
      if (length > spec.maxLength) messages.push(`Ensure this value has at most ${spec.maxLength} characters (it has ${length}).`);
      return messages;
    },
  };
}

const emailCheck = (v: string) => (isEmail(v) ? null : 'Enter a valid email address.');

/** The login field (USERNAME_FIELD) and the REQUIRED_FIELDS, as the model defines them. */
export function superuserFields(model: UserModel): { login: Field; required: Field[] } {
  const emailModel = model.usernameField === 'email';
  const login = emailModel
    ? // The custom email model's `email = EmailField(unique=True)`: verbose name "email".
      field('email', 'email', { blank: false, maxLength: 254, check: emailCheck })
    : field('username', 'username', {
        blank: false,
        maxLength: 150,
        check: (v) => (USERNAME.test(v.normalize('NFKC')) ? null : USERNAME_MESSAGE),
      });
  const required = model.requiredFields.map((f) => {
    if (f.kind === 'email') return field(f.name, 'email address', { blank: !f.required, maxLength: f.maxLength, check: emailCheck });
    return field(f.name, f.name.replaceAll('_', ' '), { blank: !f.required, maxLength: f.maxLength });
  });
  return { login, required };
}

/** Django's get_default_username(): the OS user, ASCII-folded, without spaces, lower-cased, if valid and free. */
async function defaultUsername(options: SuperuserOptions, login: Field): Promise<string> {
  if (options.model.usernameField !== 'username') return ''; // none for a swapped (custom) user model
  const { env } = options;
  let system = options.systemUsername ?? env.LOGNAME ?? env.USER ?? env.LNAME ?? env.USERNAME;
  if (system === undefined) {
    try {
      system = userInfo().username;
    } catch {
      return '';
    }
  }
  const name = system
    .normalize('NFKD')
    .replace(/[^\x00-\x7f]/g, '') // eslint-disable-line no-control-regex
    .replaceAll(' ', '')
    .toLowerCase();
  if (name === '' || login.clean(name).length > 0) return '';
  return (await (await options.target()).taken({ username: name })).length > 0 ? '' : name;
}

/** Runs the command; resolves with its exit code. Lines go to options.out / options.err, as Django writes them. */
export async function createSuperuser(options: SuperuserOptions): Promise<ExitCode> {
  const { model, flags, env, out, err } = options;
  const { login, required } = superuserFields(model);
  const emailModel = model.usernameField === 'email';
  const commandError = (message: string): ExitCode => {
    err(`CommandError: ${message}`);
    return EXIT.FAILURE;
  };

  /** _validate_username: taken, blank, the field's validators; a message or null. */
  async function loginProblem(value: string): Promise<string | null> {
    const taken = await (await options.target()).taken(emailModel ? { email: value } : { username: value });
    if (taken.length > 0) return `Error: That ${login.verboseName} is already taken.`;
    if (value === '') return `${capfirst(login.verboseName)} cannot be blank.`;
    const messages = login.clean(value);
    return messages.length > 0 ? messages.join('; ') : null;
  }

  /** authstream's own: a unique email (EMAIL_UNIQUE on the username model) that is taken. */
  async function requiredProblem(f: Field, value: string): Promise<string | null> {
    if (f.name !== 'email' || value === '' || !model.requiredFields.some((r) => r.name === 'email' && r.required)) return null;
    const taken = await (await options.target()).taken({ email: value });
    return taken.includes('email') ? `Error: That ${f.verboseName} is already taken.` : null;
  }

  /** Django's validators see a transient User: the login, the names and the email (not the model's own fields). */
  const passwordUser = (values: Record<string, string>): PasswordUser => ({
    ...(emailModel ? { email: values.email } : { username: values.username, email: values.email }),
    firstName: values.first_name,
    lastName: values.last_name,
  });
  // The custom email model's field is "email", not auth.User's "email address": the message names it so.
  const validatorMessages = (password: string, values: Record<string, string>) =>
    validatePassword(password, passwordUser(values)).map((m) =>
      emailModel ? m.replace('too similar to the email address.', 'too similar to the email.') : m,
    );

  async function create(values: Record<string, string>, password: string | null): Promise<ExitCode> {
    const registration: Registration = {
      username: emailModel ? '' : values.username!,
      email: values.email ?? '',
      password,
      ...(values.first_name === undefined ? {} : { firstName: values.first_name }),
      ...(values.last_name === undefined ? {} : { lastName: values.last_name }),
      profile: Object.fromEntries(model.customFields.filter((f) => values[f.name] !== undefined).map((f) => [f.name, values[f.name]!])),
    };
    try {
      await (await options.target()).create(registration);
    } catch (error) {
      if (!isDomainError(error, 'taken')) throw error;
      if (error.details.confusable) return commandError('Error: A user with a confusably similar username already exists.');
      const fields: readonly string[] = error.details.fields ?? [];
      // Taken between the check and the claim (another process), or a look-alike of a held name.
      const name = fields.includes(login.name)
        ? login.verboseName
        : (required.find((f) => fields.includes(f.name))?.verboseName ?? fields.join(', '));
      return commandError(`Error: That ${name} is already taken.`);
    }
    out('Superuser created successfully.');
    return EXIT.OK;
  }

  if (!options.interactive) {
    const password = env.DJANGO_SUPERUSER_PASSWORD;
    const value = flags[login.name] ?? env[`DJANGO_SUPERUSER_${login.name.toUpperCase()}`];
    if (value === undefined) return commandError(`You must use --${login.name} with --noinput.`);
    const problem = await loginProblem(value);
    if (problem) return commandError(problem);
    const values: Record<string, string> = { [login.name]: value };
    for (const f of required) {
      const given = flags[f.name] || env[`DJANGO_SUPERUSER_${f.name.toUpperCase()}`];
      if (!given) return commandError(`You must use --${f.name} with --noinput.`);
      const messages = f.clean(given);
      if (messages.length > 0) return commandError(messages.join('; '));
      const taken = await requiredProblem(f, given);
      if (taken) return commandError(taken);
      values[f.name] = given;
    }
    if (password !== undefined && !options.skipPasswordValidation) {
      const messages = validatorMessages(password, values);
      if (messages.length > 0) {
        for (const m of messages) err(m);
        return commandError(
          'DJANGO_SUPERUSER_PASSWORD does not pass the password validators (authstream checks it; Django does not): ' +
            'choose a stronger one, or pass --skip-password-validation to use it anyway.',
        );
      }
    }
    const code = await create(values, password ?? null);
    if (code === EXIT.OK && password === undefined) {
      err(
        'authstream: warning: no DJANGO_SUPERUSER_PASSWORD was set, so the superuser has an unusable password and cannot ' +
          'log in (as with Django). Set DJANGO_SUPERUSER_PASSWORD to create one that can.',
      );
    }
    return code;
  }

  if (!options.tty) {
    out(
      'Superuser creation skipped due to not running in a TTY. You can run `authstream createsuperuser` in your project ' +
        'to create one manually.',
    );
    return EXIT.OK;
  }
  const prompter = options.prompter;
  if (!prompter) throw new Error('createsuperuser: interactive mode needs a prompter');
  try {
    let value = flags[login.name];
    if (value === '') return commandError(`${capfirst(login.verboseName)} cannot be blank.`);
    if (value !== undefined) {
      const problem = await loginProblem(value);
      if (problem) {
        err(problem);
        value = undefined;
      }
    }
    const fallback = value === undefined ? await defaultUsername(options, login) : '';
    while (value === undefined) {
      let raw = await prompter.ask(`${capfirst(login.verboseName)}${fallback ? ` (leave blank to use '${fallback}')` : ''}: `);
      if (fallback && raw === '') raw = fallback;
      const messages = login.clean(raw);
      if (messages.length > 0) {
        err(`Error: ${messages.join('; ')}`);
        continue;
      }
      const problem = await loginProblem(raw);
      if (problem) {
        err(problem);
        continue;
      }
      value = raw;
    }
    const values: Record<string, string> = { [login.name]: value };
    for (const f of required) {
      let given = flags[f.name];
      if (given !== undefined) {
        const messages = f.clean(given);
        if (messages.length > 0) return commandError(messages.join('; '));
        const taken = await requiredProblem(f, given);
        if (taken) return commandError(taken);
      }
      while (given === undefined) {
        const raw = await prompter.ask(`${capfirst(f.verboseName)}: `);
        const messages = f.clean(raw);
        const problem = messages.length > 0 ? `Error: ${messages.join('; ')}` : await requiredProblem(f, raw);
        if (problem) err(problem);
        else given = raw;
      }
      values[f.name] = given;
    }
    let password: string | undefined;
    while (password === undefined) {
      const first = await prompter.askHidden('Password: ');
      const second = await prompter.askHidden('Password (again): ');
      if (first !== second) {
        err("Error: Your passwords didn't match.");
        continue;
      }
      if (pyStrip(first) === '') {
        err("Error: Blank passwords aren't allowed.");
        continue;
      }
      const messages = options.skipPasswordValidation ? [] : validatorMessages(second, values);
      if (messages.length > 0) {
        err(messages.join('\n'));
        const answer = await prompter.ask('Bypass password validation and create user anyway? [y/N]: ');
        if (answer.toLowerCase() !== 'y') continue;
      }
      password = first;
    }
    return await create(values, password);
  } catch (error) {
    if (!(error instanceof PromptCancelled)) throw error;
    err('\nOperation cancelled.');
    return EXIT.FAILURE;
  }
}
