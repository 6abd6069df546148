// The write side's use cases over one event store and read model, without HTTP: what the api role serves, and what
// CLI commands that act on accounts (createsuperuser) run in-process.
import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { PasswordHasher } from '../crypto/passwords.js';
import { jwtService, type JwtService } from '../crypto/jwt.js';
import { isHmac, type JwtKeySet } from '../crypto/jwt-keys.js';
import type { ReadModel } from '../readmodel/port.js';
import type { EventStore, Position } from '../store/port.js';
import type { AccountKeyStore } from '../erasure/account-keys.js';
import { namingKey } from '../erasure/data-key.js';
import { userModel } from '../user-model.js';
import type { UserState } from './account.state.js';
import { accountHandler, accounts as accountsOf } from './accounts.js';
import { mailboxes as mailboxesOf } from './mailbox.js';
import { reservations as reservationsOf } from './reservations.js';
import { lruStateCache } from './state-cache.js';
import { useCases } from './use-cases.js';
import { recordUnknownLogin, type UnknownLogin } from './lookups.js';
import type { EventMetadata } from './command-handler.js';
import { userIds } from './user-ids.js';

export interface ComposeInput {
  readonly config: Config;
  readonly store: EventStore;
  /** The accounts' own keys (src/erasure): deleting an account destroys its key. */
  readonly accountKeys: Pick<AccountKeyStore, 'erase'>;
  readonly readModel: ReadModel;
  readonly hasher: PasswordHasher;
  readonly now: () => Date;
  readonly secretKey: string;
  readonly jwt: JwtService;
  /** Resolves once the read model shows `position` (read-your-writes); a tool without one passes `async () => {}`. */
  readonly readModelAt: (position: Position) => Promise<void>;
}

/** The use cases and the dependencies they share (runners such as the email-request processor need the latter). */
export function composeUseCases(input: ComposeInput) {
  const { config, store, accountKeys, readModel, hasher, now, secretKey, jwt } = input;
  const accounts = accountsOf(accountHandler(store, lruStateCache<UserState>(), randomUUID), input.readModelAt);
  // Value streams are named with the data key (stable across a SECRET_KEY rotation), not SECRET_KEY itself.
  const names = namingKey(config, secretKey);
  const reservations = reservationsOf({ store, accounts, namingKey: names, newEventId: randomUUID, now });
  const mailboxes = mailboxesOf({ store, namingKey: names, window: config.EMAIL_REQUEST_WINDOW, now, loadAccount: accounts.load });
  const model = userModel(config);
  const ids = userIds(config.USER_ID_TYPE, readModel);
  const unknownLogins = {
    record: (attempt: UnknownLogin, metadata?: EventMetadata) => recordUnknownLogin(store, names, attempt, now(), randomUUID, metadata),
  };
  const deps = {
    config,
    accounts,
    reservations,
    readModel,
    hasher,
    now,
    model,
    ids,
    mailboxes,
    secretKey,
    jwt,
    accountKeys,
    unknownLogins,
    store,
  };
  return { deps, useCases: useCases(deps) };
}

/** The JWT service the configuration asks for: HMAC with SECRET_KEY, or the key files' keys (loadJwtKeys). */
export const configuredJwt = (config: Config, secretKey: string, now: () => Date, keys: JwtKeySet | null): JwtService =>
  jwtService(secretKey, { access: config.ACCESS_TOKEN_LIFETIME, refresh: config.REFRESH_TOKEN_LIFETIME }, now, {
    keys,
    ...(isHmac(config.ALGORITHM) ? { hmacAlgorithm: config.ALGORITHM } : {}),
    cacheSize: config.JWT_VERIFIED_CACHE_SIZE,
  });
