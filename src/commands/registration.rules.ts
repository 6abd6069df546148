// Registration rules: a stream holds at most one account (registered here, or imported from Django), and a claim
// that never finished can be fenced out.
import { userEvent, type UserEvent } from '../events/user.events.js';
import { DomainError, type ReservedKind } from './decider.js';
import { initialSecurity, isAccount } from './account.state.js';
import type { UserState } from './account.state.js';
import { heldKey } from './normalize.js';
import { onAccount, type Evolvers } from './evolvers.js';

interface AccountFields {
  readonly userId: string;
  readonly username: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly profile: Readonly<Record<string, string>>;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
}

export type RegistrationCommand =
  | (AccountFields & {
      readonly type: 'RegisterUser';
      readonly passwordHash: string | null;
      /** SEND_ACTIVATION_EMAIL: the account starts inactive and an activation email is requested. */
      readonly requireActivation: boolean;
      readonly now: Date;
    })
  | (AccountFields & {
      readonly type: 'ImportUser';
      /** As Django stored it. */
      readonly passwordHash: string | null;
      readonly isActive: boolean;
      readonly dateJoined: Date;
      readonly lastLogin: Date | null;
      readonly token?: { readonly keyHash: string; readonly sealedKey: string; readonly created: Date };
      readonly now: Date;
    })
  /** Fences out this account's unfinished claim on `key` (see reservation.rules.ts). */
  | { readonly type: 'VoidClaim'; readonly userId: string; readonly field: ReservedKind; readonly key: string; readonly now: Date };

export function registerUser(command: Extract<RegistrationCommand, { type: 'RegisterUser' }>, state: UserState): UserEvent[] {
  // Anything already in the stream (an account, a fence) means this id is not ours to use: start over with another.
  if (state.status !== 'none') throw new DomainError('stale_facts');
  const { type: _type, now, requireActivation, ...fields } = command;
  const at = now.toISOString();
  const registered = userEvent('UserRegistered', { ...fields, profile: { ...fields.profile }, isActive: !requireActivation, at });
  return requireActivation ? [registered, userEvent('ActivationEmailRequested', { userId: command.userId, at })] : [registered];
}

export function importUser(command: Extract<RegistrationCommand, { type: 'ImportUser' }>, state: UserState): UserEvent[] {
  // Importing twice imports nothing: the account (or whatever holds its id) is there already.
  if (state.status !== 'none') throw new DomainError('already_exists');
  const { type: _type, now, dateJoined, lastLogin, token, ...fields } = command;
  const at = now.toISOString();
  const imported = userEvent('UserImported', {
    ...fields,
    profile: { ...fields.profile },
    dateJoined: dateJoined.toISOString(),
    lastLogin: lastLogin?.toISOString() ?? null,
    source: 'django',
    at,
  });
  if (!token) return [imported];
  const { keyHash, sealedKey, created } = token;
  return [imported, userEvent('AuthTokenImported', { userId: command.userId, keyHash, sealedKey, created: created.toISOString(), at })];
}

export function voidClaim(command: Extract<RegistrationCommand, { type: 'VoidClaim' }>, state: UserState): UserEvent[] {
  const at = command.now.toISOString();
  if (state.status === 'none') return [userEvent('RegistrationVoided', { userId: command.userId, at })];
  if (!isAccount(state)) return [];
  // The change landed after all: the value is the account's, and there is nothing to fence.
  if (heldKey(command.field, state) === command.key)
    throw new DomainError('taken', { fields: [command.field === 'email' ? 'email' : 'username'] });
  return [userEvent('ClaimVoided', { userId: command.userId, field: command.field, at })];
}

/** A new account from the fields a registration and an import both carry, and when it joined and last logged in. */
const newAccount = (
  data: AccountFields & { isActive: boolean; passwordHash: string | null },
  dateJoined: string,
  lastLogin: string | null,
): UserState => ({
  status: data.isActive ? 'active' : 'inactive',
  id: data.userId,
  username: data.username,
  email: data.email,
  firstName: data.firstName,
  lastName: data.lastName,
  profile: data.profile,
  isStaff: data.isStaff,
  isSuperuser: data.isSuperuser,
  passwordHash: data.passwordHash,
  dateJoined,
  lastLogin,
  token: null,
  security: initialSecurity,
  claimsVoided: 0,
});

export const registrationEvolvers: Evolvers = {
  UserRegistered: (_state, { data }) => newAccount(data, data.at, null),
  UserImported: (_state, { data }) => newAccount(data, data.dateJoined, data.lastLogin),
  RegistrationVoided: () => ({ status: 'voided' }),
  ClaimVoided: onAccount((account) => ({ ...account, claimsVoided: account.claimsVoided + 1 })),
};
