// The embedded event store (an append-only file log); the implementation is in ./embedded/. This module is where
// the rest of the service and the CLIs import it from.
export { openEmbeddedEventStore, readEmbeddedLogId, type EmbeddedOptions } from './embedded/open.js';
export type { EmbeddedEventStore, OpenReport } from './embedded/store.js';
export { EmbeddedLogDamagedError } from './embedded/errors.js';
export { checkEmbeddedLog, repairEmbeddedLog, type CheckReport, type RepairResult } from './embedded/check.js';
