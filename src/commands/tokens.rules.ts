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
      /**
       * token/login/: the DRF token to create if the user has none (Token.objects.get_or_create), or instead of
       * the one whose key hash is `replaces` (a token whose key can no longer be handed out: SECRET_KEY changed).
       */
      readonly newToken?: { readonly tokenId: string; readonly keyHash: string; readonly replaces?: string };
      /** Stamp last_login (djoser's token login always; jwt/create with simplejwt's UPDATE_LAST_LOGIN). */
      readonly recordLastLogin: boolean;
      /** The password hashed again (argon2id) when the stored hash is an imported Django one. */
      readonly rehash?: string;
      readonly now: Date;
    }
  | { readonly type: 'LogOut'; readonly now: Date };

export function logIn(command: Extract<TokenCommand, { type: 'LogIn' }>, state: UserState): UserEvent[] {
  if (!isAccount(state) || state.status !== 'active' || !command.passwordMatched) throw new DomainError('invalid_credentials');
  const at = command.now.toISOString();
  const userId = state.id;
  const token = command.newToken;
  const replacing = token?.replaces !== undefined && state.token?.keyHash === token.replaces;
  return [
    ...(command.rehash ? [userEvent('PasswordRehashed', { userId, passwordHash: command.rehash, at })] : []),
    ...(replacing ? [userEvent('AuthTokenDestroyed', { userId, at })] : []),
    ...(token && (!state.token || replacing)
      ? [userEvent('AuthTokenCreated', { userId, tokenId: token.tokenId, keyHash: token.keyHash, at })]
      : []),
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
  AuthTokenImported: onAccount((account, { data }) => ({
    ...account,
    token: { keyHash: data.keyHash, sealedKey: data.sealedKey, created: data.created },
  })),
  AuthTokenDestroyed: onAccount((account) => ({ ...account, token: null })),
};
