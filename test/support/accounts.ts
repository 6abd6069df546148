// Helpers for tests that drive whole account flows against a running service.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { accountHandler } from '../../src/commands/accounts.js';
import { isAccount, type UserState } from '../../src/commands/account.state.js';
import { noStateCache } from '../../src/commands/state-cache.js';
import { userStream } from '../../src/events/user.events.js';
import type { EventStore } from '../../src/store/port.js';
import { encodeUid, makeLinkToken } from '../../src/crypto/link-token.js';
import type { TestService } from './service.js';

/**
 * The uid and activation token the email would carry, made from the service's secret and the account's state in the
 * log, so a test can activate right after registering without waiting for the email.
 */
export async function activationLink(service: TestService, id: string | number): Promise<{ uid: string; token: string }> {
  const userId = String(id);
  const secret = (await readFile(path.join(service.dataDir, 'secret_key'), 'utf8')).trim();
  const state = await loadAccount(service.store, userId);
  if (!isAccount(state)) throw new Error(`no account ${userId}`);
  const token = makeLinkToken({
    secret,
    purpose: 'activation',
    user: { id: state.id, passwordHash: state.passwordHash, lastLogin: state.lastLogin, email: state.email },
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  return { uid: encodeUid(userId), token };
}

/** An account's state as the event store has it now. */
export async function loadAccount(store: EventStore, userId: string): Promise<UserState> {
  return (await accountHandler(store, noStateCache(), randomUUID).load(userStream(userId))).state;
}
