// Logging in and out: DRF tokens (token/login/, token/logout/) and simplejwt's JWTs (jwt/create/, refresh/, verify/).
// A login checks the password against the event store, never the read model (it may have just changed), and an
// unknown login costs one argon2 verify too, so timing does not tell which accounts exist.
import { hashTokenKey, newTokenId, tokenKey } from '../crypto/auth-tokens.js';
import type { JwtService } from '../crypto/jwt.js';
import type { EventMetadata } from './command-handler.js';
import { DomainError } from './decider.js';
import { isAccount, type Account, type AuthToken } from './account.state.js';
import { unseal } from '../crypto/sealed.js';
import { emailKey, usernameKey } from './normalize.js';
import type { UseCaseDeps } from './accounts.js';

export function tokenUseCases(deps: UseCaseDeps & { jwt: JwtService }) {
  const { config, readModel, accounts, hasher, jwt, model } = deps;

  /** Checks the credentials and runs the login; the decider says whether it is one (active, password right). */
  async function logIn(
    login: string,
    password: string,
    options: { drfToken: boolean; recordLastLogin: boolean },
    metadata?: EventMetadata,
  ) {
    const user =
      model.loginField === 'email'
        ? ((await readModel.findUsersByEmail(emailKey(login)))[0] ?? null)
        : await readModel.findUserByUsername(usernameKey(login));
    const state = user ? await accounts.load(user.id) : null;
    if (!state || !isAccount(state)) {
      await hasher.verifyNothing(password);
      throw new DomainError('invalid_credentials');
    }
    let passwordMatched = false;
    if (state.passwordHash === null) await hasher.verifyNothing(password);
    else passwordMatched = await hasher.verify(state.passwordHash, password);
    // An imported Django hash (or weaker argon2 parameters) is replaced now that the password is known.
    const rehash =
      passwordMatched && state.status === 'active' && hasher.needsRehash(state.passwordHash!) ? await hasher.hash(password) : undefined;
    const tokenId = newTokenId();
    // A token whose key cannot be handed out again (SECRET_KEY changed since it was made) is replaced.
    const unusable = state.token && !usableToken(deps.secretKey, state.token) ? { replaces: state.token.keyHash } : {};
    const command = {
      type: 'LogIn',
      passwordMatched,
      ...(rehash ? { rehash } : {}),
      ...(options.drfToken ? { newToken: { tokenId, keyHash: hashTokenKey(tokenKey(deps.secretKey, tokenId)), ...unusable } } : {}),
      recordLastLogin: options.recordLastLogin,
      now: deps.now(),
    } as const;
    return (await accounts.execute(state.id, command, metadata)).state as Account;
  }

  return {
    /** POST token/login/: the user's one token (created if missing); djoser's login_user stamps last_login. */
    async tokenLogin(login: string, password: string, metadata?: EventMetadata): Promise<string> {
      const account = await logIn(login, password, { drfToken: true, recordLastLogin: true }, metadata);
      const key = account.token && keyOfToken(deps.secretKey, account.token);
      if (!key) throw new Error('token login decided no usable token');
      return key;
    },

    async tokenLogout(userId: string, metadata?: EventMetadata): Promise<void> {
      await accounts.execute(userId, { type: 'LogOut', now: deps.now() }, metadata);
    },

    /** POST jwt/create/: a refresh and an access token; last_login only with simplejwt's UPDATE_LAST_LOGIN. */
    async jwtCreate(login: string, password: string, metadata?: EventMetadata): Promise<{ refresh: string; access: string }> {
      const account = await logIn(login, password, { drfToken: false, recordLastLogin: config.UPDATE_LAST_LOGIN }, metadata);
      return { refresh: await jwt.issue('refresh', account.id), access: await jwt.issue('access', account.id) };
    },

    /** POST jwt/refresh/: a new access token; a deleted or inactive account gets none (simplejwt 5.2 would still). */
    async jwtRefresh(refresh: string): Promise<{ access: string }> {
      const checked = await jwt.verify(refresh, 'refresh');
      if ('error' in checked) throw new DomainError('token_not_valid', { message: checked.error });
      const user = checked.claims.user_id === undefined ? null : await readModel.findUserById(checked.claims.user_id);
      if (!user?.isActive) throw new DomainError('no_active_account');
      return { access: await jwt.issue('access', user.id, { iat: checked.claims.iat }) };
    },

    async jwtVerify(token: string): Promise<void> {
      const checked = await jwt.verify(token);
      if ('error' in checked) throw new DomainError('token_not_valid', { message: checked.error });
    },
  };
}

export type TokenUseCases = ReturnType<typeof tokenUseCases>;

/** The key of the account's token: derived from its id, or unsealed (an imported token); null if it cannot be. */
function keyOfToken(secretKey: string, token: AuthToken): string | null {
  if (token.tokenId !== undefined) return tokenKey(secretKey, token.tokenId);
  return token.sealedKey === undefined ? null : unseal(secretKey, token.sealedKey);
}

/** Whether the key this service would hand out for the token is the one whose hash authenticates. */
function usableToken(secretKey: string, token: AuthToken): boolean {
  const key = keyOfToken(secretKey, token);
  return key !== null && hashTokenKey(key) === token.keyHash;
}
