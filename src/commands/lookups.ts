// Appends for the auditor's lookups (src/events/lookup.events.ts). Which accounts held an address is recorded by
// Mailboxes.recordHolder (./mailbox.ts), on the mailbox stream the audit reads; this module records failed logins
// for names that match no account.
import type { EventStore } from '../store/port.js';
import type { EventMetadata } from './command-handler.js';
import { loginDigest, unknownLoginEvent, unknownLoginsStream, type UnknownLoginMethod } from '../events/lookup.events.js';
import { emailKey, usernameKey } from './normalize.js';

export interface UnknownLogin {
  /** The login as typed (never stored: only its keyed hash and its length are). */
  readonly login: string;
  /** The LOGIN_FIELD in effect: how the login is normalised before it is hashed. */
  readonly field: 'username' | 'email';
  readonly method: UnknownLoginMethod;
}

/**
 * Records a failed login whose name matched no account on the day's stream (`audit-unknown-logins-YYYY-MM-DD`).
 * Every attempt is its own event (appended with 'any': no read, no conflict); nothing about any account changes.
 * Call it where a login finds no account (token/login, jwt/create, dj-rest-auth's login), after the constant-time
 * dummy verification, with the request's metadata (ip, user agent, correlation id).
 */
export async function recordUnknownLogin(
  store: EventStore,
  secretKey: string,
  attempt: UnknownLogin,
  now: Date,
  newEventId: () => string,
  metadata: EventMetadata = {},
): Promise<void> {
  const normalised = attempt.field === 'email' ? emailKey(attempt.login) : usernameKey(attempt.login);
  const event = unknownLoginEvent({
    login: loginDigest(secretKey, attempt.field, normalised),
    field: attempt.field,
    length: [...attempt.login].length,
    method: attempt.method,
    at: now.toISOString(),
  });
  await store.append(
    unknownLoginsStream(now),
    [
      {
        id: newEventId(),
        type: event.type,
        data: event.data as Record<string, unknown>,
        metadata: { ...metadata, schemaVersion: event.data.v },
      },
    ],
    'any',
  );
}
