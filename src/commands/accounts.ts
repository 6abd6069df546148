// What every account use case works with: the account's state from the log, commands run through the one handler,
// and read-your-writes (a write returns only once the read model shows it).
import type { AccountKeyStore } from '../erasure/account-keys.js';
import type { UnknownLogin } from './lookups.js';
import type { Config } from '../config.js';
import type { EventStore, Position } from '../store/port.js';
import type { ReadModel } from '../readmodel/port.js';
import type { PasswordHasher } from '../crypto/passwords.js';
import { decodeUid } from '../crypto/link-token.js';
import { userEventCodec, userStream, type UserEvent } from '../events/user.events.js';
import { CommandHandler, type EventMetadata, type Handled } from './command-handler.js';
import type { StateCache } from './state-cache.js';
import { accountDecider, type UserCommand } from './account.decider.js';
import { isAccount, type Account, type UserState } from './account.state.js';
import { DomainError } from './decider.js';
import type { LinkToken } from './shared.rules.js';
import type { Reservations } from './reservations.js';
import type { UserModel } from '../user-model.js';
import type { UserIds } from './user-ids.js';
import { accountCommandFor, type Mailboxes } from './mailbox.js';
import type { EmailRequestKind } from './mailbox.rules.js';
import { emailKey } from './normalize.js';

export type AccountHandler = CommandHandler<UserState, UserCommand, UserEvent>;

export function accountHandler(store: EventStore, cache: StateCache<UserState>, newEventId: () => string): AccountHandler {
  return new CommandHandler({ store, decider: accountDecider, codec: userEventCodec, cache, newEventId });
}

export interface Accounts {
  /** The account as the event store has it now. */
  load(userId: string): Promise<UserState>;
  /** Runs one command on the account, then waits until the read model shows its events. */
  execute(userId: string, command: UserCommand, metadata?: EventMetadata): Promise<Handled<UserState, UserEvent>>;
}

export function accounts(handler: AccountHandler, readModelAt: (position: Position) => Promise<void>): Accounts {
  return {
    load: async (userId) => (await handler.load(userStream(userId))).state,
    async execute(userId, command, metadata) {
      const result = await handler.handle(userStream(userId), command, metadata);
      if (result.appended) await readModelAt(result.appended.position);
      return result;
    },
  };
}

/** Everything the flows' use cases share. */
export interface UseCaseDeps {
  readonly config: Config;
  readonly accounts: Accounts;
  readonly reservations: Reservations;
  readonly readModel: ReadModel;
  readonly hasher: PasswordHasher;
  readonly now: () => Date;
  /** The configured user model (USERNAME_FIELD, REQUIRED_FIELDS, USER_FIELDS …). */
  readonly model: UserModel;
  /** New account ids. */
  readonly ids: UserIds;
  /** Which accounts took which address, and the emails asked for with just an address. */
  readonly mailboxes: Mailboxes;
  /** SECRET_KEY: derives auth-token keys and link-token keys. */
  readonly secretKey: string;
  /** The accounts' own keys: destroying one erases the account's personal data (src/erasure). */
  readonly accountKeys: Pick<AccountKeyStore, 'erase'>;
  /** Failed logins for names that match no account, for the auditor (commands/lookups.ts). */
  readonly unknownLogins: { record(attempt: UnknownLogin, metadata?: EventMetadata): Promise<void> };
}

/** A link token as the decider checks it. */
export const linkToken = (deps: UseCaseDeps, token: string): LinkToken => ({
  token,
  secret: deps.secretKey,
  timeoutSeconds: deps.config.PASSWORD_RESET_TIMEOUT,
});

/** The account a link's uid names, as the event store has it now; anything else is invalid_uid. */
export async function accountOfUid(deps: UseCaseDeps, uid: string): Promise<Account> {
  const userId = decodeUid(uid);
  const state = userId === null ? null : await deps.accounts.load(userId);
  if (!state || !isAccount(state)) throw new DomainError('invalid_uid');
  return state;
}

/**
 * Checks the account's current password (from the log, not the read model: it may have just changed). Returns the
 * hash it matched, the fact a command then carries; a wrong password is invalid_password.
 */
export async function verifyCurrentPassword(
  deps: UseCaseDeps,
  userId: string,
  password: string,
  action: 'set_password' | 'set_username' | 'delete' | 'change_email',
  metadata?: EventMetadata,
): Promise<{ verifiedHash: string }> {
  const state = await deps.accounts.load(userId);
  if (!isAccount(state)) throw new DomainError('not_found');
  if (state.passwordHash === null || !(await deps.hasher.verify(state.passwordHash, password))) {
    // An auditor looks for these: someone holding a session tried passwords.
    await deps.accounts.execute(userId, { type: 'RejectCurrentPassword', action, now: deps.now() }, metadata);
    throw new DomainError('invalid_password');
  }
  return { verifiedHash: state.passwordHash };
}

/**
 * The email-request flows (resend activation, password and username reset): runs `command` on every account the
 * read model has with this address; the decider alone says who may get the email (`not_found`: not eligible).
 * Where djoser's *_SHOW_EMAIL_NOT_FOUND settings allow, no eligible account is said (email_not_found).
 */
export async function requestEmail(deps: UseCaseDeps, email: string, kind: EmailRequestKind, metadata?: EventMetadata): Promise<void> {
  if (!showEmailNotFound(deps.config)) return deps.mailboxes.requestEmail(kind, email, metadata);
  // Saying whether an address is known is what these settings ask for: the accounts are asked at once.
  const command = () => accountCommandFor(kind, deps.config.EMAIL_REQUEST_WINDOW, deps.now());
  if ((await forAccountsWithEmail(deps, email, command, metadata)) === 0) throw new DomainError('email_not_found');
}

/** djoser's shared email lookup honours either flag, for resets and resend_activation alike. */
export const showEmailNotFound = (config: Config): boolean =>
  config.PASSWORD_RESET_SHOW_EMAIL_NOT_FOUND || config.USERNAME_RESET_SHOW_EMAIL_NOT_FOUND;

/** Runs `command` on every account with this email; counts those whose decider accepted it. */
export async function anyAccountWithEmail(deps: UseCaseDeps, email: string, test: (state: UserState) => boolean): Promise<boolean> {
  const key = emailKey(email);
  for (const user of key === '' ? [] : await deps.readModel.findUsersByEmail(key)) if (test(await deps.accounts.load(user.id))) return true;
  return false;
}

export async function forAccountsWithEmail(
  deps: UseCaseDeps,
  email: string,
  command: () => UserCommand,
  metadata?: EventMetadata,
): Promise<number> {
  const key = emailKey(email);
  const users = key === '' ? [] : await deps.readModel.findUsersByEmail(key);
  let accepted = 0;
  for (const user of users) {
    try {
      await deps.accounts.execute(user.id, command(), metadata);
      accepted++;
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'not_found')) throw error;
    }
  }
  return accepted;
}
