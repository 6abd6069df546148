// `authstream config check`: parses the environment as `start` would, prints the effective configuration with
// secrets masked, and names the variables that look like settings but are none (a typo would otherwise be ignored).
import { ConfigError, SETTING_NAMES, unknownSettings, type Config } from '../../config.js';
import { defineCommand, EXIT } from '../command.js';

/** Names whose values are never printed. */
const SECRET_NAME = /SECRET|PASSWORD$|PASSPHRASE$|KEY$|TOKEN$/;

/** A value as printed: secrets masked, and passwords inside URLs (amqp://user:***@host). */
export function shownValue(name: string, value: unknown): string {
  if (value === undefined || value === null) return '(unset)';
  if (SECRET_NAME.test(name)) return '********';
  const text =
    Array.isArray(value) && value.every((v) => typeof v === 'string')
      ? value.join(',')
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return text.replace(/(\/\/[^:@/\s]*):[^@/\s]*@/g, '$1:***@').replace(/([?&](?:password|pass|secret|token|key)=)[^&\s]*/gi, '$1***');
}

export default defineCommand('config check', (_program, { run, context, group }) => {
  group('config', 'the configuration (environment variables)')
    .command('check')
    .description('parse the environment as `start` would, print the effective configuration, and name unknown variables')
    .option('--json', 'print one JSON object: settings, the names left at their defaults, unknown variables')
    .addHelpText(
      'after',
      '\nA variable is reported when it is not a setting but is within edit distance 2 of one, or starts with a\n' +
        'settings prefix (SEND_, EMAIL_, PASSWORD_, JWT_, AMQP_, ...): "SEND_ACTIVATON_EMAIL is not a setting; did\n' +
        'you mean SEND_ACTIVATION_EMAIL?". Secrets (SECRET_KEY, passwords in URLs) are masked.\n' +
        'Exit codes: 0 valid and nothing unknown, 1 unknown or misspelled variables, 2 invalid configuration.',
    )
    .action(
      run((options: { json?: boolean }) => {
        const { env } = context;
        const unknown = unknownSettings(env);
        let config: Config | undefined;
        let invalid: string | undefined;
        try {
          config = context.config();
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          invalid = error.message;
        }
        const values = config as Record<string, unknown> | undefined;
        const defaults = SETTING_NAMES.filter((name) => env[name] === undefined);
        if (options.json) {
          const settings = values ? Object.fromEntries(SETTING_NAMES.map((name) => [name, shownValue(name, values[name])])) : null;
          context.out(JSON.stringify({ valid: !invalid, ...(invalid ? { error: invalid } : {}), settings, defaults, unknown }, null, 2));
        } else {
          if (values) {
            for (const name of SETTING_NAMES)
              context.out(`${name}=${shownValue(name, values[name])}${defaults.includes(name) ? '  # default' : ''}`);
          }
          if (invalid) context.err(`authstream: ${invalid}`);
          for (const u of unknown) context.err(`authstream: ${u.message}`);
          if (!invalid && unknown.length === 0) context.err('authstream: the configuration is valid; no unknown variables');
        }
        return invalid ? EXIT.USAGE : unknown.length > 0 ? EXIT.FAILURE : EXIT.OK;
      }),
    );
});
