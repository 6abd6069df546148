// The account use cases behind djoser's endpoints. Each write dispatches commands through the handler, then waits
// until the read model shows the write (read-your-writes) before it returns.
import type { Config } from '../config.js';
import type { EventStore, Position } from '../store/port.js';
import type { ReadModel, UserDoc } from '../readmodel/port.js';
import type { PasswordHasher } from '../crypto/passwords.js';
import { hashTokenKey, newTokenId, tokenKey } from '../crypto/auth-tokens.js';
import { decodeUid } from '../crypto/link-token.js';
import { handleUserCommands, loadUser, type CommandResult } from './handle.js';
import { claim, release, reservationKey, type ReservationDeps } from './reservations.js';
import type { ReservedField } from '../events/reservation.events.js';
import { emailKey, usernameKey } from './normalize.js';
import { isAccount, UserRuleError, type Account, type LinkToken, type Timed, type UserCommand, type UserState } from './user.decider.js';

export interface AccountDeps {
  readonly config: Config;
  readonly secretKey: string;
  readonly store: EventStore;
  readonly readModel: ReadModel;
  readonly hasher: PasswordHasher;
  readonly now: () => Date;
  readonly newId: () => string;
  /** Resolves once the read model has applied the event at this position. */
  readonly readModelAt: (position: Position) => Promise<void>;
}

/** The credentials do not identify an active account (djoser never says which part was wrong). */
export class InvalidCredentialsError extends Error {
  override name = 'InvalidCredentialsError';
}
/** The password given to confirm an action is not the account's. */
export class InvalidPasswordError extends Error {
  override name = 'InvalidPasswordError';
}
/** The uid in a link names no account. */
export class InvalidUidError extends Error {
  override name = 'InvalidUidError';
}

/** Request validation that needs the account (djoser runs it inside the serializer); throws to refuse. */
export type Validate = (account: Account, currentPasswordOk: boolean) => void | Promise<void>;

export interface Registration {
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

export function accountService(deps: AccountDeps) {
  const { config, store, readModel, hasher, now } = deps;
  const reservations: ReservationDeps = { store, newEventId: deps.newId, now };

  async function run(userId: string, commandsFor: (state: UserState) => Promise<UserCommand[]> | UserCommand[]): Promise<CommandResult> {
    const result = await handleUserCommands(store, deps.newId, userId, async (state) => {
      const at = now();
      return (await commandsFor(state)).map((c) => ({ ...c, now: at }) as Timed<UserCommand>);
    });
    if (result.appended) await deps.readModelAt(result.appended.position);
    return result;
  }

  /**
   * Runs a change to a unique value (username, or email where unique). The claim is made inside the command, after
   * its checks, so that if another claimant fences this change out, the retry claims again and finds the value taken.
   * Afterwards, whichever of the old and new values the account does not hold is given up.
   */
  async function runClaiming(
    userId: string,
    field: ReservedField,
    value: string,
    commandsFor: (state: UserState) => Promise<UserCommand[]> | UserCommand[],
  ): Promise<CommandResult> {
    const key = reservationKey(field, value);
    let old = '';
    try {
      return await run(userId, async (state) => {
        old = isAccount(state) ? reservationKey(field, field === 'username' ? state.username : state.email) : '';
        const commands = await commandsFor(state);
        if (key !== '') await claim(reservations, field, key, userId);
        return commands;
      });
    } finally {
      await release(reservations, field, key, userId);
      await release(reservations, field, old, userId);
    }
  }

  const link = (token: string): LinkToken => ({ token, secret: deps.secretKey, timeoutSeconds: config.PASSWORD_RESET_TIMEOUT });

  async function passwordMatches(account: Account, password: string | undefined): Promise<boolean> {
    return password !== undefined && account.passwordHash !== null && hasher.verify(account.passwordHash, password);
  }

  async function requirePassword(state: UserState, password: string): Promise<Account> {
    if (!isAccount(state)) throw new UserRuleError('not_found');
    if (!(await passwordMatches(state, password))) throw new InvalidPasswordError();
    return state;
  }

  /** Verifies the current password, lets the caller validate the rest, and refuses a wrong password regardless. */
  async function checkedAccount(state: UserState, currentPassword: string | undefined, validate: Validate): Promise<Account> {
    if (!isAccount(state)) throw new UserRuleError('not_found');
    const ok = await passwordMatches(state, currentPassword);
    await validate(state, ok);
    if (!ok) throw new InvalidPasswordError();
    return state;
  }

  /** The user a uid names, as the event store has it now; a malformed or unknown uid is InvalidUidError. */
  async function userFromUid(uid: string): Promise<string> {
    const userId = decodeUid(uid);
    if (userId === null || !isAccount((await loadUser(store, userId)).state)) throw new InvalidUidError();
    return userId;
  }

  /** Users that reset-style flows may email: active, with a usable password (djoser's get_user). */
  async function resettableUsers(email: string): Promise<UserDoc[]> {
    const key = emailKey(email);
    return key === '' ? [] : (await readModel.findUsersByEmail(key)).filter((u) => u.isActive);
  }

  return {
    /** Register an account; throws NameTakenError when the username (or unique email) is taken. */
    async register(input: Registration): Promise<Account> {
      const userId = deps.newId();
      // Hash before claiming the name, so the reservation is backed by its account as soon as possible.
      const passwordHash = await hasher.hash(input.password);
      const claimed: ['username' | 'email', string][] = [['username', usernameKey(input.username)]];
      if (config.EMAIL_UNIQUE && emailKey(input.email) !== '') claimed.push(['email', emailKey(input.email)]);
      try {
        for (const [field, key] of claimed) await claim(reservations, field, key, userId);
        const result = await run(userId, () => [
          {
            type: 'RegisterUser',
            userId,
            username: input.username,
            email: input.email,
            firstName: '',
            lastName: '',
            passwordHash,
            requireActivation: config.SEND_ACTIVATION_EMAIL,
          },
        ]);
        return result.state as Account;
      } finally {
        // Safe after success too: release keeps a name the account holds.
        for (const [field, key] of claimed) await release(reservations, field, key, userId);
      }
    },

    async activate(uid: string, token: string): Promise<void> {
      const userId = await userFromUid(uid);
      await run(userId, () => [{ type: 'ActivateUser', link: link(token) }]);
    },

    /** djoser 2.3: unknown or active addresses get no email (and the caller the same 204). Returns how many matched. */
    async resendActivation(email: string): Promise<number> {
      const key = emailKey(email);
      const users = key === '' ? [] : (await readModel.findUsersByEmail(key)).filter((u) => !u.isActive);
      if (!config.SEND_ACTIVATION_EMAIL) return users.length;
      for (const user of users) await run(user.id, () => [{ type: 'RequestActivationEmail' }]);
      return users.length;
    },

    async updateProfile(userId: string, changes: { email?: string }): Promise<Account> {
      const update = (): UserCommand[] => [{ type: 'UpdateProfile', ...changes, requireActivation: config.SEND_ACTIVATION_EMAIL }];
      if (!config.EMAIL_UNIQUE || changes.email === undefined) return (await run(userId, update)).state as Account;
      return (await runClaiming(userId, 'email', changes.email, update)).state as Account;
    },

    async deleteAccount(userId: string, currentPassword: string): Promise<void> {
      let account: Account | null = null;
      await run(userId, async (state) => {
        account = await requirePassword(state, currentPassword);
        return [{ type: 'DeleteUser' }];
      });
      const { username, email } = account!;
      await release(reservations, 'username', usernameKey(username), userId);
      await release(reservations, 'email', emailKey(email), userId);
    },

    /**
     * Checks a login against the event store (not the read model: the password may have just changed).
     * Unknown users cost one argon2 verify too, so timing does not reveal which accounts exist.
     */
    async authenticate(login: string, password: string): Promise<Account> {
      const user =
        config.LOGIN_FIELD === 'email'
          ? ((await readModel.findUsersByEmail(emailKey(login)))[0] ?? null)
          : await readModel.findUserByUsername(usernameKey(login));
      const state = user ? (await loadUser(store, user.id)).state : null;
      if (!state || !isAccount(state) || state.passwordHash === null) {
        await hasher.verifyNothing(password);
        throw new InvalidCredentialsError();
      }
      if (!(await hasher.verify(state.passwordHash, password)) || state.status !== 'active') throw new InvalidCredentialsError();
      return state;
    },

    /** POST token/login/: the user's one token (created if missing) and last_login. */
    async tokenLogin(login: string, password: string): Promise<string> {
      const account = await this.authenticate(login, password);
      const tokenId = newTokenId();
      const result = await run(account.id, (state) => {
        if (!isAccount(state) || state.status !== 'active') throw new InvalidCredentialsError();
        return [{ type: 'CreateAuthToken', tokenId, keyHash: hashTokenKey(tokenKey(deps.secretKey, tokenId)) }, { type: 'RecordLogin' }];
      });
      const token = (result.state as Account).token;
      if (!token) throw new Error('token login decided no token');
      return tokenKey(deps.secretKey, token.tokenId);
    },

    async tokenLogout(userId: string): Promise<void> {
      await run(userId, () => [{ type: 'DestroyAuthToken' }]);
    },

    async recordLogin(userId: string): Promise<void> {
      await run(userId, () => [{ type: 'RecordLogin' }]);
    },

    /** `validate` sees the account and whether the current password matched, and throws to refuse (djoser's order). */
    async setPassword(userId: string, currentPassword: string | undefined, newPassword: string | undefined, validate: Validate): Promise<void> {
      await run(userId, async (state) => {
        await checkedAccount(state, currentPassword, validate);
        const passwordHash = await hasher.hash(newPassword!);
        return [{ type: 'SetPassword', passwordHash, logout: config.LOGOUT_ON_PASSWORD_CHANGE }];
      });
    },

    async requestPasswordReset(email: string): Promise<number> {
      const users = await resettableUsers(email);
      for (const user of users) {
        await run(user.id, (state) =>
          isAccount(state) && state.status === 'active' && state.passwordHash !== null ? [{ type: 'RequestPasswordReset' }] : [],
        );
      }
      return users.length;
    },

    async resetPassword(uid: string, token: string, newPassword: string): Promise<void> {
      const userId = await userFromUid(uid);
      const passwordHash = await hasher.hash(newPassword);
      await run(userId, () => [{ type: 'ResetPassword', link: link(token), passwordHash, logout: config.LOGOUT_ON_PASSWORD_CHANGE }]);
    },

    async setUsername(userId: string, currentPassword: string | undefined, newUsername: string | undefined, validate: Validate): Promise<void> {
      await runClaiming(userId, 'username', newUsername ?? '', async (state) => {
        await checkedAccount(state, currentPassword, validate);
        return [{ type: 'SetUsername', username: newUsername! }];
      });
    },

    async requestUsernameReset(email: string): Promise<number> {
      const users = await resettableUsers(email);
      for (const user of users) await run(user.id, () => [{ type: 'RequestUsernameReset' }]);
      return users.length;
    },

    async resetUsername(uid: string, token: string, newUsername: string): Promise<void> {
      const userId = await userFromUid(uid);
      await runClaiming(userId, 'username', newUsername, () => [{ type: 'ResetUsername', link: link(token), username: newUsername }]);
    },
  };
}

export type AccountService = ReturnType<typeof accountService>;
