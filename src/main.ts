// `npm start` = `authstream start` (src/cli/commands/start.ts): the whole service in one process, or with `api` /
// `worker` one side of it. Kept as an entry of its own so `node dist/src/main.js [mode]` (the Dockerfile's
// ENTRYPOINT) and `node --import tsx src/main.ts [mode]` (tests) go on working.
import { runAndExit } from './cli/program.js';

await runAndExit(['start', ...process.argv.slice(2)]);
