// The auditor's lookups: the contracts between the write side (which appends) and `authstream audit` (which reads).
//
// 1. Which accounts ever held an email address: the address's mailbox stream (mailbox.events.ts), named by a keyed
//    hash of the normalised address, with one `MailboxHeld { userId, at }` per account that took it (registration,
//    import, an email change). Written by Mailboxes.recordHolder (src/commands/mailbox.ts); emailHoldersStream below
//    is the one name the audit computes, so a change of the naming (another key, another hash) happens in
//    mailboxStream and nowhere else.
//
// 2. Failed logins for names that match no account: one stream per UTC day, `audit-unknown-logins-YYYY-MM-DD`, with
//    one `LoginFailedUnknownAccount` per attempt. No account is created or touched. The login itself is never
//    stored: it is the personal data of someone who is not a user (a mistyped name, someone else's address) and,
//    often enough, a password typed into the login box. Stored instead: a keyed hash of the normalised login (so an
//    auditor holding the key can ask "were there failed logins as X?" — `authstream audit --unknown-logins --login
//    X` — and can count attempts per name, e.g. for credential stuffing, but nobody without the key can read or
//    dictionary-test the names) and its length. Not its first character: for a password typed into the login box
//    that would give away part of it, and for a name it adds little an auditor can act on. The client's address
//    and agent are in the event's metadata, as for every event. One stream per day keeps appends spread and lets
//    an operator drop old days (EventStoreDB: $maxAge or a delete per stream) without touching accounts.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { RecordedEvent } from '../store/port.js';
import { at, eventType, upcast } from './event-type.js';
import { mailboxStream, parseMailboxEvent } from './mailbox.events.js';

// ---------------------------------------------------------------------------------------------------------------
// 1. Email holders

/** The stream listing every account that ever took the address `emailKey` (normalize.ts's emailKey of it). */
export const emailHoldersStream = (secretKey: string, emailKey: string): string => mailboxStream(secretKey, emailKey);

/** The accounts a holders stream names, in the order they took the address (each once). */
export function emailHolders(events: readonly RecordedEvent[]): string[] {
  const ids = new Set<string>();
  for (const e of events) {
    if (e.type !== 'MailboxHeld') continue;
    const event = parseMailboxEvent(e.type, e.data);
    if (event.type === 'MailboxHeld') ids.add(event.data.userId);
  }
  return [...ids];
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Failed logins for unknown accounts

export const UNKNOWN_LOGINS_STREAM_PREFIX = 'audit-unknown-logins-';

/** The day's stream (UTC) of failed logins that matched no account: `audit-unknown-logins-2026-12-01`. */
export const unknownLoginsStream = (at: Date): string => `${UNKNOWN_LOGINS_STREAM_PREFIX}${at.toISOString().slice(0, 10)}`;

export const isUnknownLoginsStream = (streamId: string): boolean => streamId.startsWith(UNKNOWN_LOGINS_STREAM_PREFIX);

/** The login surfaces that report unknown names. */
export const unknownLoginMethods = ['token', 'jwt', 'dj-rest-auth'] as const;
export type UnknownLoginMethod = (typeof unknownLoginMethods)[number];

const types = {
  LoginFailedUnknownAccount: eventType({
    /** loginDigest(secretKey, field, login): a keyed hash of the normalised login, never the login. */
    login: z.string().regex(/^[0-9a-f]{40}$/),
    /** How the login was normalised before hashing: the LOGIN_FIELD in effect (usernameKey or emailKey). */
    field: z.enum(['username', 'email']),
    /** The login's length in characters, as typed. */
    length: z.number().int().min(0),
    method: z.enum(unknownLoginMethods),
    at,
  }),
};

export type UnknownLoginEvent = {
  readonly type: 'LoginFailedUnknownAccount';
  readonly data: z.output<(typeof types)['LoginFailedUnknownAccount']['schema']>;
};

/**
 * The keyed hash a LoginFailedUnknownAccount stores: HMAC-SHA256 under the key that names mailbox streams, over the
 * login normalised as its field is (`normalised`: usernameKey or emailKey of it), first 40 hex digits.
 */
export const loginDigest = (secretKey: string, field: 'username' | 'email', normalised: string): string =>
  createHmac('sha256', secretKey).update(`authstream.unknown-login:${field}:${normalised}`).digest('hex').slice(0, 40);

/** Builds the event, checked against its schema. */
export function unknownLoginEvent(data: Omit<UnknownLoginEvent['data'], 'v'>): UnknownLoginEvent {
  const spec = types.LoginFailedUnknownAccount;
  return { type: 'LoginFailedUnknownAccount', data: spec.schema.parse({ ...data, v: spec.version }) };
}

export function parseUnknownLoginEvent(type: string, data: unknown): UnknownLoginEvent {
  if (type !== 'LoginFailedUnknownAccount') throw new Error(`unknown unknown-login event type ${type}`);
  const spec = types.LoginFailedUnknownAccount;
  return { type, data: spec.schema.parse(upcast(spec, (data ?? {}) as Record<string, unknown>)) };
}
