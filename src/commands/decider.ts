// The decider (emmett's Decider): everything a stream's rules are, as three pure functions. The command handler runs
// any decider; the account and the name reservations are the two this service has.
export interface Decider<State, Command, Event> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  /** The events the command produces in this state, or a DomainError saying why it may not happen. */
  decide(command: Command, state: State): Event[];
}

/** Why a command may not happen, as a code; each REST surface maps codes to its own bodies (src/http/errors.ts). */
export type DomainErrorCode =
  /** Login credentials do not identify an active account (never says which part was wrong). */
  | 'invalid_credentials'
  /** The current password given to confirm an action is wrong (or the password changed since it was checked). */
  | 'invalid_password'
  /** The uid of a link names no account. */
  | 'invalid_uid'
  | 'invalid_token'
  /** A valid link for something already done (activating an active account). */
  | 'stale_token'
  /** No such account (or not one this command can act on). */
  | 'not_found'
  /** A unique value (username, email where unique) belongs to another account; `fields` names which. */
  | 'taken'
  /** No account has this email (only where the *_SHOW_EMAIL_NOT_FOUND settings allow saying so). */
  | 'email_not_found'
  /** The facts a use case passed in no longer hold (a claim was fenced out, an id was taken): it starts over. */
  | 'stale_facts'
  /** Concurrent writes kept winning; nothing was changed. */
  | 'write_conflict'
  /** The write is saved but the read model has not shown it in time. */
  | 'read_model_timeout'
  /** What was asked for is switched off by the configuration (resend_activation without SEND_ACTIVATION_EMAIL). */
  | 'disabled'
  /** The stream already holds what this command would create (an import run twice). */
  | 'already_exists'
  /** The actor may not do this to this account (staff deactivating themself, a non-superuser acting on a superuser). */
  | 'forbidden'
  /** A JWT failed simplejwt's checks; `message` says which. */
  | 'token_not_valid'
  /** A valid refresh token whose account is gone or inactive. */
  | 'no_active_account'
  /** The right password, but the account's email is not verified where that is required (allauth's mandatory). */
  | 'email_not_verified';

export type UniqueField = 'username' | 'email';

/**
 * What is reserved on the write side: the unique fields, and the username's skeleton (UTS #39), so that of two
 * look-alike usernames ("аlice" in Cyrillic and "alice") at most one can exist.
 */
export type ReservedKind = UniqueField | 'username_skeleton';

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    readonly details: {
      readonly fields?: readonly UniqueField[];
      /** `taken` by a look-alike (another account's username has the same skeleton). */
      readonly confusable?: boolean;
      readonly message?: string;
    } = {},
  ) {
    super(code);
    this.name = 'DomainError';
  }
}

export const isDomainError = (error: unknown, ...codes: DomainErrorCode[]): error is DomainError =>
  error instanceof DomainError && (codes.length === 0 || codes.includes(error.code));
