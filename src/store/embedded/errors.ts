import type { Problem } from './scan.js';

/** The log is damaged where no torn write can explain it: the store will not open (or read) past it. */
export class EmbeddedLogDamagedError extends Error {
  override name = 'EmbeddedLogDamagedError';

  constructor(
    readonly path: string,
    readonly problem: Problem,
    found: 'opening' | 'reading',
  ) {
    super(
      `embedded event store: ${path} is damaged at byte ${problem.offset} (${problem.kind}): ${problem.detail}. ` +
        (found === 'opening' ? 'Refusing to open it; the file was not changed. ' : 'Found reading it; the file was not changed. ') +
        'Inspect it with the log check; then restore it from a backup, or cut it at a record boundary with the ' +
        'log repair (which keeps a copy of the whole file first).',
    );
  }
}
