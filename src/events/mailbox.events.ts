// A mailbox's stream (`mailbox-<keyed hash of the normalised address>`): which accounts ever took the address, and
// the emails asked for with just the address (resend_activation, reset_password, reset_username). No address is in
// it, nor in its name: the request path appends here whether or not an account has the address, so known and
// unknown addresses cost the same and an erased account leaves nothing behind; the auditor finds an address's
// accounts here by computing the same hash.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { RecordedEvent } from '../store/port.js';
import { at, eventType, upcast, userId } from './event-type.js';

export const MAILBOX_STREAM_PREFIX = 'mailbox-';

/** The stream of an address, named by a keyed hash of its normalised form. */
export const mailboxStream = (secretKey: string, emailKey: string): string =>
  `${MAILBOX_STREAM_PREFIX}${createHmac('sha256', secretKey).update(`authstream.mailbox:${emailKey}`).digest('hex').slice(0, 40)}`;

export const isMailboxStream = (streamId: string): boolean => streamId.startsWith(MAILBOX_STREAM_PREFIX);

/** djoser's three; the dj-rest-auth surface's resend-email (allauth's email_confirmation) and reset (password_reset_key). */
export const emailRequestKinds = ['activation', 'password_reset', 'username_reset', 'email_confirmation', 'password_reset_key'] as const;

const types = {
  /** An account took the address (registration, import, email change): it is one of the mailbox's holders. */
  MailboxHeld: eventType({ userId, at }),
  /** Someone asked for an email of this kind to be sent to the address. */
  EmailRequested: eventType({ kind: z.enum(emailRequestKinds), at }),
};

type Types = typeof types;
export type MailboxEvent = { [T in keyof Types]: { readonly type: T; readonly data: z.output<Types[T]['schema']> } }[keyof Types];

export function mailboxEvent<T extends MailboxEvent['type']>(
  type: T,
  data: Omit<Extract<MailboxEvent, { type: T }>['data'], 'v'>,
): MailboxEvent {
  const spec = types[type];
  return { type, data: spec.schema.parse({ ...data, v: spec.version }) } as MailboxEvent;
}

export function parseMailboxEvent(type: string, data: unknown): MailboxEvent {
  if (type !== 'MailboxHeld' && type !== 'EmailRequested') throw new Error(`unknown mailbox event type ${type}`);
  const spec = types[type];
  return { type, data: spec.schema.parse(upcast(spec, (data ?? {}) as Record<string, unknown>)) } as MailboxEvent;
}

export const mailboxCodec = {
  parse: (recorded: RecordedEvent): MailboxEvent => parseMailboxEvent(recorded.type, recorded.data),
  serialize: (event: MailboxEvent) => ({ type: event.type, data: event.data as Record<string, unknown> }),
};
