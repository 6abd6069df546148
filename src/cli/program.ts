// The `authstream` program: commander, the registered commands, and one mapping from outcomes to exit codes.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.js';
import { CliError, EXIT, type CliCommand, type CliContext, type CliIo, type ExitCode, type RegisterTools } from './command.js';
import { createContext } from './context.js';
import { commands as registered } from './commands/index.js';

/** The version in the package.json above this file (src/ and dist/src/ layouts alike). */
function packageVersion(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? '0.0.0';
    if (path.dirname(dir) === dir) return '0.0.0';
  }
}

export interface Program {
  readonly command: Command;
  /** Set by the action that ran (commander calls at most one). */
  exitCode(): ExitCode;
}

/** Builds the program over `context` with `commands` (default: the registry in ./commands/index.ts). */
export function buildProgram(context: CliContext, commands: readonly CliCommand[] = registered): Program {
  let exitCode: ExitCode = EXIT.OK;
  const program = new Command('authstream')
    .description('authstream: a self-hosted, event-sourced auth service speaking djoser’s REST API')
    .version(packageVersion(), '-V, --version')
    .configureOutput({
      writeOut: (s) => void context.stdout.write(s),
      writeErr: (s) => void context.stderr.write(s),
    })
    // Set before any command exists: subcommands inherit both (commander copies them at .command()).
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failure or problems found, 2 bad arguments or invalid configuration.\n' +
        'Settings come from the environment (see README: Configuration); `authstream config check` shows them.',
    );

  const tools: RegisterTools = {
    context,
    run:
      (action) =>
      async (...args) => {
        exitCode = await outcome(context, () => action(...args));
      },
    group(name, description) {
      const existing = program.commands.find((c) => c.name() === name);
      if (existing) return existing;
      return program.command(name).description(description);
    },
  };
  for (const command of commands) command.register(program, tools);
  return { command: program, exitCode: () => exitCode };
}

/** Runs one action and turns what it returned or threw into an exit code, printing expected errors plainly. */
async function outcome(context: CliContext, action: () => Promise<ExitCode | void> | ExitCode | void): Promise<ExitCode> {
  try {
    return (await action()) ?? EXIT.OK;
  } catch (error) {
    // An action may reject its input with commander (command.error()): printed already, a usage error.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    if (error instanceof ConfigError) {
      context.err(`authstream: ${error.message}`);
      return EXIT.USAGE;
    }
    if (error instanceof CliError) {
      context.err(`authstream: ${error.message}`);
      return error.exitCode;
    }
    context.err(`authstream: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.FAILURE;
  }
}

/** Parses `argv` (without node and the script) and runs the command; resolves with the exit code. */
export function runCli(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env },
): Promise<ExitCode> {
  return runProgram(buildProgram(createContext(io)), argv);
}

/** Parses `argv` with `program` and runs its command; resolves with the exit code. */
export async function runProgram(program: Program, argv: readonly string[]): Promise<ExitCode> {
  try {
    await program.command.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every parse error (unknown command or option, a missing or invalid argument,
      // a group called without its subcommand) is a usage error. commander has printed the message.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    throw error;
  }
  return program.exitCode();
}

/** Runs the CLI with `argv` and ends the process with its exit code (the bin, and src/main.ts for `npm start`). */
export async function runAndExit(argv: readonly string[]): Promise<void> {
  // `authstream events tail | head`: a closed pipe ends the output, it is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.OK);
    throw error;
  });
  let code: number;
  try {
    code = await runCli(argv);
  } catch (error) {
    console.error(`authstream: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    code = EXIT.FAILURE;
  }
  process.exitCode = code;
  // Let the output drain and the process end by itself; a handle a library left open must not keep it alive.
  setTimeout(() => process.exit(code), 1_000).unref();
}
