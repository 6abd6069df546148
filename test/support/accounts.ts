// Helpers for tests that drive whole account flows against a running service.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadUser } from '../../src/commands/handle.js';
import { isAccount } from '../../src/commands/user.decider.js';
import { encodeUid, makeLinkToken } from '../../src/crypto/link-token.js';
import type { TestService } from './service.js';

/**
 * The uid and activation token the email would carry, made from the service's secret and the account's state in the
 * log, so a test can activate right after registering without waiting for the email.
 */
export async function activationLink(service: TestService, userId: string): Promise<{ uid: string; token: string }> {
  const secret = (await readFile(path.join(service.dataDir, 'secret_key'), 'utf8')).trim();
  const { state } = await loadUser(service.store, userId);
  if (!isAccount(state)) throw new Error(`no account ${userId}`);
  const token = makeLinkToken({
    secret,
    purpose: 'activation',
    user: { id: state.id, passwordHash: state.passwordHash, lastLogin: state.lastLogin, email: state.email },
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  return { uid: encodeUid(userId), token };
}
