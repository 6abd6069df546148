// Raised by read-model adapters when a projection write would break a uniqueness the write side already guarantees
// (username, email when EMAIL_UNIQUE, auth-token hash). It can only mean a bug, so it is never retried or swallowed.
// Messages name fields and user ids, never the values (emails are personal data, hashes are credentials' digests).
export class ReadModelConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReadModelConflictError';
  }
}
