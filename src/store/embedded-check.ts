// Operator commands for the embedded log, for the CLI to wire: `check` (read-only, safe beside a running service)
// and `repair --cut-at <offset>` (keeps a backup copy; refuses while a service holds the log).
export { checkEmbeddedLog, repairEmbeddedLog, type CheckReport, type RepairResult } from './embedded/check.js';
export type { Problem } from './embedded/scan.js';
export type { ProblemKind } from './embedded/format.js';
