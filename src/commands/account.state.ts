// The account's state as its decider folds it from the stream `user-<id>`.
export interface Account {
  readonly status: 'active' | 'inactive';
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  /** The model's own fields (USER_FIELDS). */
  readonly profile: Readonly<Record<string, string>>;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  /** argon2id, or a Django hash until the next login rehashes it; null: unusable. */
  readonly passwordHash: string | null;
  readonly dateJoined: string;
  readonly lastLogin: string | null;
  readonly token: AuthToken | null;
  /** Failed logins and locks, JWT sessions, and when emails were last asked for. */
  readonly security: Security;
  /** How many of this account's claims on unique values were fenced out (see reservation.rules.ts). */
  readonly claimsVoided: number;
  /** Which address was verified and the confirmation keys still pending (email-verification.rules.ts); absent: none. */
  readonly emailVerification?: EmailVerification;
}

/** The account's email verification (allauth's EmailAddress.verified, and its confirmation keys). */
export interface EmailVerification {
  /** The address last verified; the account's email counts as verified while it is the same mailbox. */
  readonly verifiedEmail: string | null;
  /** Confirmation keys sent and not yet used or superseded: the key's hash, the address it went to, its expiry. */
  readonly pending: readonly { readonly keyHash: string; readonly email: string; readonly expires: string }[];
}

/** The emails a user (or anyone) can ask for with just an address. */
export type EmailRequestKind = 'activation' | 'password_reset' | 'username_reset' | 'email_verification';

/** A JWT session: one refresh-token family, from its login to its expiry or revocation. */
export interface Session {
  readonly created: string;
  readonly lastUsed: string;
  /** The jti of the family's current refresh token (rotation replaces it; an older one is a reuse). */
  readonly refreshJti: string;
  readonly expires: string;
  /** The latest exp of an access token the session issued (unknown for sessions older than its recording). */
  readonly accessExpires?: string;
  readonly revoked: boolean;
  readonly ip?: string;
  readonly userAgent?: string;
}

// A session's expiry, parsed once: sessions are immutable and shared by every state that holds them, and each JWT
// login looks at all of the account's (up to MAX_SESSIONS_PER_USER) twice.
const expiries = new WeakMap<Session, number>();
const expiryOf = (session: Session): number => {
  let at = expiries.get(session);
  if (at === undefined) expiries.set(session, (at = Date.parse(session.expires)));
  return at;
};

/** Whether a session's tokens are still good: not revoked, not expired (epoch ms). */
export const isLiveSession = (session: Session, now: number): boolean => !session.revoked && expiryOf(session) > now;

export interface Security {
  /** Failed logins in a row since the last success (or lock lifted). */
  readonly failures: number;
  /** Logins are refused until then. */
  readonly lockedUntil: string | null;
  /** Locks since the last successful login: each lasts twice the one before. */
  readonly locks: number;
  /** Every JWT carries the epoch it was issued in; bumping it ends every session at once. */
  readonly sessionEpoch: number;
  // A Map: each JWT login copies it (up to MAX_SESSIONS_PER_USER entries), and a Map copies in one step where an
  // object of as many keys is rebuilt key by key.
  readonly sessions: ReadonlyMap<string, Session>;
  readonly lastEmailRequest: Readonly<Partial<Record<EmailRequestKind, string>>>;
}

export const initialSecurity: Security = {
  failures: 0,
  lockedUntil: null,
  locks: 0,
  sessionEpoch: 0,
  sessions: new Map(),
  lastEmailRequest: {},
};

/** The account's one DRF token: its key is HMAC(SECRET_KEY, tokenId), or, for an imported token, sealed. */
export interface AuthToken {
  readonly keyHash: string;
  readonly created: string;
  readonly tokenId?: string;
  readonly sealedKey?: string;
}

export type UserState =
  | { readonly status: 'none' }
  /** A registration that never completed was fenced out; the stream can never hold an account. */
  | { readonly status: 'voided' }
  /** `erased`: its key is destroyed (UserErased). */
  | { readonly status: 'deleted'; readonly id: string; readonly erased?: true }
  | Account;

export const initialState = (): UserState => ({ status: 'none' });

export function isAccount(state: UserState): state is Account {
  return state.status === 'active' || state.status === 'inactive';
}
