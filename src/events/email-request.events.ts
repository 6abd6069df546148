// Email requests made with just an address (resend_activation, reset_password, reset_username), one stream per
// address (`email-requests-<keyed hash>`): the request path appends here whether or not any account has the
// address, so known and unknown addresses cost the same; a processor (src/commands/email-requests.ts) then asks
// the accounts. The address is sealed (secret): it never leaves the event store in clear.
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { RecordedEvent } from '../store/port.js';
import { at, eventType, upcast } from './event-type.js';

export const EMAIL_REQUEST_STREAM_PREFIX = 'email-requests-';

/** The stream of an address's requests, named by a keyed hash of its normalised form (no address in stream names). */
export const emailRequestStream = (secretKey: string, emailKey: string): string =>
  `${EMAIL_REQUEST_STREAM_PREFIX}${createHmac('sha256', secretKey).update(`authstream.email-requests:${emailKey}`).digest('hex').slice(0, 40)}`;

export const isEmailRequestStream = (streamId: string): boolean => streamId.startsWith(EMAIL_REQUEST_STREAM_PREFIX);

export const emailRequestKinds = ['activation', 'password_reset', 'username_reset'] as const;

const types = {
  EmailRequested: eventType({ kind: z.enum(emailRequestKinds), address: z.string(), at }, { secret: ['address'] }),
};

export type EmailRequestEvent = { readonly type: 'EmailRequested'; readonly data: z.output<(typeof types)['EmailRequested']['schema']> };

export function emailRequestEvent(data: Omit<EmailRequestEvent['data'], 'v'>): EmailRequestEvent {
  return { type: 'EmailRequested', data: types.EmailRequested.schema.parse({ ...data, v: types.EmailRequested.version }) };
}

export function parseEmailRequestEvent(type: string, data: unknown): EmailRequestEvent {
  if (type !== 'EmailRequested') throw new Error(`unknown email request event type ${type}`);
  return { type, data: types.EmailRequested.schema.parse(upcast(types.EmailRequested, (data ?? {}) as Record<string, unknown>)) };
}

export const emailRequestCodec = {
  parse: (recorded: RecordedEvent): EmailRequestEvent => parseEmailRequestEvent(recorded.type, recorded.data),
  serialize: (event: EmailRequestEvent) => ({ type: event.type, data: event.data as Record<string, unknown> }),
};
