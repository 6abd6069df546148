// The account aggregate as a decider: initialState, evolve (event → state), decide (command + state → events).
// Pure: the clock, ids, password hashes and the link-token secret arrive inside the command.
import { userEvent, type UserEvent } from '../events/user.events.js';
import { checkLinkToken, type LinkPurpose } from '../crypto/link-token.js';

export interface Account {
  readonly status: 'active' | 'inactive';
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly passwordHash: string | null;
  readonly dateJoined: string;
  readonly lastLogin: string | null;
  readonly token: { readonly tokenId: string; readonly keyHash: string; readonly created: string } | null;
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

/** A link token (activation, reset) to check against the state it was made from. */
export interface LinkToken {
  readonly token: string;
  readonly secret: string;
  readonly timeoutSeconds: number;
}

export type UserCommand =
  | {
      type: 'RegisterUser';
      userId: string;
      username: string;
      email: string;
      firstName: string;
      lastName: string;
      passwordHash: string | null;
      /** SEND_ACTIVATION_EMAIL: the account starts inactive and an activation email is requested. */
      requireActivation: boolean;
    }
  /** Fences out another claimant's unfinished registration, rename or email change (see reservations.ts). */
  | { type: 'VoidClaim'; userId: string; field: 'username' | 'email' }
  | { type: 'ActivateUser'; link: LinkToken }
  | { type: 'RequestActivationEmail' }
  | {
      type: 'UpdateProfile';
      email?: string;
      firstName?: string;
      lastName?: string;
      /** SEND_ACTIVATION_EMAIL: a changed email makes the account inactive until the new address is confirmed. */
      requireActivation: boolean;
    }
  | { type: 'DeleteUser' }
  | { type: 'RecordLogin' }
  | { type: 'CreateAuthToken'; tokenId: string; keyHash: string }
  | { type: 'DestroyAuthToken' }
  | { type: 'SetPassword'; passwordHash: string; logout: boolean }
  | { type: 'RequestPasswordReset' }
  | { type: 'ResetPassword'; link: LinkToken; passwordHash: string; logout: boolean }
  | { type: 'SetUsername'; username: string }
  | { type: 'RequestUsernameReset' }
  | { type: 'ResetUsername'; link: LinkToken; username: string };

export type Timed<C> = C & { readonly now: Date };

export type UserErrorCode =
  | 'already_exists'
  | 'not_found'
  | 'inactive'
  | 'invalid_token'
  | 'stale_token'
  | 'unusable_password';

/** A command the state does not allow; the HTTP layer maps `code` to djoser's response. */
export class UserRuleError extends Error {
  constructor(readonly code: UserErrorCode) {
    super(code);
    this.name = 'UserRuleError';
  }
}

export function evolve(state: UserState, event: UserEvent): UserState {
  if (event.type === 'UserRegistered') {
    const d = event.data;
    return {
      status: d.isActive ? 'active' : 'inactive',
      id: d.userId,
      username: d.username,
      email: d.email,
      firstName: d.firstName,
      lastName: d.lastName,
      passwordHash: d.passwordHash,
      dateJoined: d.at,
      lastLogin: null,
      token: null,
    };
  }
  if (event.type === 'RegistrationVoided') return { status: 'voided' };
  if (!isAccount(state)) return state;
  switch (event.type) {
    case 'UserActivated':
      return { ...state, status: 'active' };
    case 'UserDeactivated':
      return { ...state, status: 'inactive' };
    case 'UserProfileUpdated': {
      const { email, firstName, lastName } = event.data;
      return {
        ...state,
        email: email ?? state.email,
        firstName: firstName ?? state.firstName,
        lastName: lastName ?? state.lastName,
      };
    }
    case 'UserDeleted':
      return { status: 'deleted', id: state.id };
    case 'UserLoggedIn':
      return { ...state, lastLogin: event.data.at };
    case 'AuthTokenCreated':
      return { ...state, token: { tokenId: event.data.tokenId, keyHash: event.data.keyHash, created: event.data.at } };
    case 'AuthTokenDestroyed':
      return { ...state, token: null };
    case 'PasswordChanged':
      return { ...state, passwordHash: event.data.passwordHash };
    case 'UsernameChanged':
      return { ...state, username: event.data.username };
    case 'ActivationEmailRequested':
    case 'ClaimVoided':
    case 'PasswordResetRequested':
    case 'UsernameResetRequested':
      return state;
  }
}

export function decide(command: Timed<UserCommand>, state: UserState): UserEvent[] {
  const at = command.now.toISOString();
  if (command.type === 'RegisterUser') {
    if (state.status !== 'none') throw new UserRuleError('already_exists');
    const { type: _type, now: _now, requireActivation, ...fields } = command;
    const registered = userEvent('UserRegistered', { ...fields, isActive: !requireActivation, at });
    return requireActivation
      ? [registered, userEvent('ActivationEmailRequested', { userId: command.userId, at })]
      : [registered];
  }
  if (command.type === 'VoidClaim') {
    if (state.status === 'none') return [userEvent('RegistrationVoided', { userId: command.userId, at })];
    return isAccount(state) ? [userEvent('ClaimVoided', { userId: command.userId, field: command.field, at })] : [];
  }
  if (!isAccount(state)) throw new UserRuleError('not_found');
  const userId = state.id;
  const active = state.status === 'active';
  const logout = (yes: boolean) => (yes && state.token ? [userEvent('AuthTokenDestroyed', { userId, at })] : []);

  switch (command.type) {
    case 'ActivateUser':
      // djoser checks the token first (400), then staleness (403): an active account's token is stale.
      requireLink(state, command.link, 'activation', command.now);
      if (active) throw new UserRuleError('stale_token');
      return [userEvent('UserActivated', { userId, at })];
    case 'RequestActivationEmail':
      // djoser 2.3: an already active account gets no email, and the caller learns nothing.
      return active ? [] : [userEvent('ActivationEmailRequested', { userId, at })];
    case 'UpdateProfile': {
      const changes = {
        ...(command.email !== undefined && command.email !== state.email ? { email: command.email } : {}),
        ...(command.firstName !== undefined && command.firstName !== state.firstName ? { firstName: command.firstName } : {}),
        ...(command.lastName !== undefined && command.lastName !== state.lastName ? { lastName: command.lastName } : {}),
      };
      if (Object.keys(changes).length === 0) return [];
      const events = [userEvent('UserProfileUpdated', { userId, ...changes, at })];
      if (changes.email !== undefined && command.requireActivation) {
        if (active) events.push(userEvent('UserDeactivated', { userId, reason: 'email_changed', at }));
        events.push(userEvent('ActivationEmailRequested', { userId, at }));
      }
      return events;
    }
    case 'DeleteUser':
      return [userEvent('UserDeleted', { userId, at })];
    case 'RecordLogin':
      if (!active) throw new UserRuleError('inactive');
      return [userEvent('UserLoggedIn', { userId, at })];
    case 'CreateAuthToken':
      if (!active) throw new UserRuleError('inactive');
      // DRF's Token.objects.get_or_create: one token per user, kept until logout.
      if (state.token) return [];
      return [userEvent('AuthTokenCreated', { userId, tokenId: command.tokenId, keyHash: command.keyHash, at })];
    case 'DestroyAuthToken':
      return logout(true);
    case 'SetPassword':
      return [userEvent('PasswordChanged', { userId, passwordHash: command.passwordHash, reason: 'set', at }), ...logout(command.logout)];
    case 'RequestPasswordReset':
      if (!active) throw new UserRuleError('inactive');
      if (state.passwordHash === null) throw new UserRuleError('unusable_password');
      return [userEvent('PasswordResetRequested', { userId, at })];
    case 'ResetPassword':
      requireLink(state, command.link, 'password_reset', command.now);
      // djoser's reset also stamps last_login, which kills the link for good.
      return [
        userEvent('PasswordChanged', { userId, passwordHash: command.passwordHash, reason: 'reset', at }),
        userEvent('UserLoggedIn', { userId, at }),
        ...logout(command.logout),
      ];
    case 'SetUsername':
      return command.username === state.username ? [] : [userEvent('UsernameChanged', { userId, username: command.username, reason: 'set', at })];
    case 'RequestUsernameReset':
      if (!active) throw new UserRuleError('inactive');
      return [userEvent('UsernameResetRequested', { userId, at })];
    case 'ResetUsername':
      requireLink(state, command.link, 'username_reset', command.now);
      return [
        userEvent('UsernameChanged', { userId, username: command.username, reason: 'reset', at }),
        userEvent('UserLoggedIn', { userId, at }),
      ];
  }
}

function requireLink(state: Account, link: LinkToken, purpose: LinkPurpose, now: Date): void {
  const ok = checkLinkToken({
    secret: link.secret,
    purpose,
    user: { id: state.id, passwordHash: state.passwordHash, lastLogin: state.lastLogin, email: state.email },
    token: link.token,
    nowSeconds: Math.floor(now.getTime() / 1000),
    timeoutSeconds: link.timeoutSeconds,
  });
  if (!ok) throw new UserRuleError('invalid_token');
}

/** Folds a stream's events into its state. */
export const fold = (events: readonly UserEvent[]): UserState => events.reduce(evolve, initialState());
