#!/usr/bin/env node
// `authstream`: the one CLI (the package's bin, compiled to dist/src/cli/main.js; `npm start` runs `authstream start`).
//
//   authstream start [all|api|worker]     the service                         authstream config check
//   authstream audit <user>               an account's public history         authstream rebuild
//   authstream events tail [--from-start] [--type T] [--no-follow]            authstream log check | repair --cut-at N
//
// Exit codes, for every command: 0 ok; 1 the work failed or found problems; 2 bad arguments or options, or an
// invalid configuration (nothing was done). Every command has --help.
//
// Adding a command (import-django, createsuperuser and erase are expected next):
//   1. Write src/cli/commands/<name>.ts, default-exporting
//        defineCommand('<name>', (program, { run, context, group }) => {
//          program.command('<name>')                       // or group('users', '…').command('<name>')
//            .description('…').argument('<file>', '…').option('--dry-run', '…')
//            .addHelpText('after', '\nExit codes: 0 …, 1 …, 2 …')
//            .action(run(async (file: string, options: { dryRun?: boolean }) => {
//              const config = context.config();            // invalid configuration: exit 2, message printed
//              const store = await context.openEventStore(config, { readOnly: false });  // writers: stop the service
//              try { … context.out(line) … return EXIT.OK; } finally { await store.close(); }
//            }));
//        });
//      The logic stays in its own module (src/commands/…); the file only maps arguments to it and results to
//      output and exit codes. Throw CliError(message, EXIT.FAILURE | EXIT.USAGE) for expected failures (printed as
//      `authstream: message`, no stack); commander's own errors (unknown option, missing argument, a parser's
//      InvalidArgumentError) exit 2 by themselves. Long work: context.progress({ label, total }).
//   2. Add one line to the list in src/cli/commands/index.ts.
//   3. Tests go in test/cli/ (test/cli/run.ts runs the CLI as a child process, through tsx: no build needed).
import { runAndExit } from './program.js';

await runAndExit(process.argv.slice(2));
