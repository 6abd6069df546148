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
  /** How many of this account's claims on unique values were fenced out (see reservation.rules.ts). */
  readonly claimsVoided: number;
}

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
  | { readonly status: 'deleted'; readonly id: string }
  | Account;

export const initialState = (): UserState => ({ status: 'none' });

export function isAccount(state: UserState): state is Account {
  return state.status === 'active' || state.status === 'inactive';
}
