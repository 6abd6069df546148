// Given (events) / When (command) / Then (events or a domain error): the account decider's rules, pure, no store.
import assert from 'node:assert/strict';
import { decide, fold, type UserCommand } from '../../src/commands/account.decider.js';
import { isDomainError, type DomainErrorCode } from '../../src/commands/decider.js';
import { userEvent, type UserEvent } from '../../src/events/user.events.js';
import { makeLinkToken, type LinkPurpose } from '../../src/crypto/link-token.js';
import type { LinkToken } from '../../src/commands/shared.rules.js';

export const now = new Date('2026-01-02T03:04:05.000Z');
export const at = now.toISOString();
export const earlier = '2026-01-01T00:00:00.000Z';
export const userId = '6f1d3c3e-8d7a-4f51-9a51-1f3f5e0a0b01';
export const secret = 'a-test-secret-that-is-long-enough-123';
export const HASH = '$argon2id$hash-1';

export const registered = (isActive: boolean, when = earlier): UserEvent =>
  userEvent('UserRegistered', {
    userId,
    username: 'alice',
    email: 'alice@example.com',
    firstName: '',
    lastName: '',
    profile: {},
    passwordHash: HASH,
    isActive,
    isStaff: false,
    isSuperuser: false,
    at: when,
  });
export const activated = userEvent('UserActivated', { userId, at: earlier });
export const tokenCreated = userEvent('AuthTokenCreated', { userId, tokenId: 't1', keyHash: 'h1', at: earlier });

/** Commands as tests write them: the clock is added. */
type Untimed<C> = C extends unknown ? Omit<C, 'now'> : never;

export function given(events: readonly UserEvent[]) {
  const state = fold(events);
  return {
    when(command: Untimed<UserCommand>) {
      const run = () => decide({ ...command, now } as UserCommand, state);
      return {
        then: (expected: readonly UserEvent[]) => assert.deepEqual(run(), expected),
        thenRejects: (code: DomainErrorCode) => assert.throws(run, (e: unknown) => isDomainError(e, code)),
      };
    },
  };
}

/** A link token made from the state the events leave. */
export function linkFor(events: readonly UserEvent[], purpose: LinkPurpose, nowSeconds = Math.floor(now.getTime() / 1000)): LinkToken {
  const state = fold(events);
  if (!('passwordHash' in state)) throw new Error('no account');
  const token = makeLinkToken({
    secret,
    purpose,
    user: { id: state.id, passwordHash: state.passwordHash, lastLogin: state.lastLogin, email: state.email },
    nowSeconds,
  });
  return { token, secret, timeoutSeconds: 3600 };
}

export const badLink: LinkToken = { token: 'abc-123', secret, timeoutSeconds: 3600 };
