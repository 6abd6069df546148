// What a CLI command module is and what it gets: see the top of ./main.ts for how to add one.
import type { Command } from 'commander';
import type { SealedEventStore } from '../erasure/open.js';
import type { Config } from '../config.js';
import type { Progress, ProgressOptions } from './progress.js';

/** Exit codes every command keeps to. */
export const EXIT = {
  /** Done; nothing wrong found. */
  OK: 0,
  /** The work failed, or found problems (a damaged log, an unknown setting, no such account). */
  FAILURE: 1,
  /** Bad arguments or options (commander's errors), or an invalid configuration: nothing was done. */
  USAGE: 2,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An expected failure: its message is printed as `authstream <command>: <message>`, without a stack. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.FAILURE,
  ) {
    super(message);
  }
}

export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

export interface OpenStoreOptions {
  readonly readOnly?: boolean;
  /**
   * The embedded log's check at open (EmbeddedOptions.verify): 'all' (default) checks every byte against the index
   * snapshot's checksums; 'tail' trusts the snapshot and leaves the checks to the reads (each read checks its
   * records), for commands that read a few streams of a big log (audit).
   */
  readonly verify?: 'all' | 'tail';
}

/** What every command's action can use, so commands share one way to read settings, open stores and report. */
export interface CliContext extends CliIo {
  /** loadConfig(env); an invalid configuration ends the command with exit 2 and the message naming the variable. */
  config(): Config;
  /**
   * The event store for this configuration: EventStoreDB with EVENTSTORE_URL, else the embedded log under DATA_DIR.
   * `readOnly` (the default) opens the embedded log without its lock, beside a running service; commands that
   * append (import, createsuperuser, erase) pass `{ readOnly: false }` and then need the service stopped.
   */
  openEventStore(config: Config, options?: OpenStoreOptions): Promise<SealedEventStore>;
  /** A progress bar on a terminal (stdout and stderr TTYs), plain periodic lines on stderr otherwise. */
  progress(options: ProgressOptions): Progress;
  /** A line on stdout (the command's output). */
  out(line: string): void;
  /** A line on stderr (notes, warnings, errors). */
  err(line: string): void;
  /** Ends when the process gets SIGINT or SIGTERM (long-running commands: start, events tail). */
  interrupted(): Promise<NodeJS.Signals>;
}

/** An action: returns its exit code (undefined = 0) or throws (CliError / ConfigError / anything: exit 1). */
export type Action<A extends unknown[]> = (...args: A) => Promise<ExitCode | void> | ExitCode | void;

/**
 * One command module. `register` adds the command (with its options, arguments and help) to `program`, and wires its
 * action through `run`, which turns the returned exit code and thrown errors into the process's exit code.
 */
export interface CliCommand {
  /** As typed: `audit`, `events tail`. */
  readonly name: string;
  register(program: Command, tools: RegisterTools): void;
}

export interface RegisterTools {
  readonly context: CliContext;
  /** Wraps an action for commander's `.action()`. */
  run<A extends unknown[]>(action: Action<A>): (...args: A) => Promise<void>;
  /** The group command `name` (`events`, `log`, `config`), created on first use, so several modules can add to it. */
  group(name: string, description: string): Command;
}

export const defineCommand = (name: string, register: CliCommand['register']): CliCommand => ({ name, register });
