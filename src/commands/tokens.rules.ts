// Login rules: only an active account whose password matched logs in; DRF keeps one auth token per user.
import { userEvent, type UserEvent } from '../events/user.events.js';
import { DomainError } from './decider.js';
import { isAccount, type UserState } from './account.state.js';
import { requireAccount } from './shared.rules.js';
import { onAccount, type Evolvers } from './evolvers.js';

export type TokenCommand =
  | {
      readonly type: 'LogIn';
      /** Whether the use case found the password right (it verified it against the account's hash). */
      readonly passwordMatched: boolean;
      /** token/login/: the DRF token to create if the user has none (Token.objects.get_or_create). */
      readonly newToken?: { readonly tokenId: string; readonly keyHash: string };
      /** Stamp last_login (djoser's token login always; jwt/create with simplejwt's UPDATE_LAST_LOGIN). */
      readonly recordLastLogin: boolean;
      readonly now: Date;
    }
  | { readonly type: 'LogOut'; readonly now: Date };

export function logIn(command: Extract<TokenCommand, { type: 'LogIn' }>, state: UserState): UserEvent[] {
  if (!isAccount(state) || state.status !== 'active' || !command.passwordMatched) throw new DomainError('invalid_credentials');
  const at = command.now.toISOString();
  const userId = state.id;
  return [
    ...(command.newToken && !state.token ? [userEvent('AuthTokenCreated', { userId, ...command.newToken, at })] : []),
    ...(command.recordLastLogin ? [userEvent('UserLoggedIn', { userId, at })] : []),
  ];
}

export function logOut(command: Extract<TokenCommand, { type: 'LogOut' }>, state: UserState): UserEvent[] {
  const account = requireAccount(state);
  return account.token ? [userEvent('AuthTokenDestroyed', { userId: account.id, at: command.now.toISOString() })] : [];
}

export const tokenEvolvers: Evolvers = {
  UserLoggedIn: onAccount((account, { data }) => ({ ...account, lastLogin: data.at })),
  AuthTokenCreated: onAccount((account, { data }) => ({
    ...account,
    token: { tokenId: data.tokenId, keyHash: data.keyHash, created: data.at },
  })),
  AuthTokenDestroyed: onAccount((account) => ({ ...account, token: null })),
};
