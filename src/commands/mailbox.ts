// Mailboxes: the accounts that took an address, and the emails asked for with just the address. The request path
// only records the request on the address's stream — the same work whether or not an account has the address, so
// its timing tells nothing — and answers; the processor here then follows those streams and asks each account that
// holds the address now (its decider says who may get the email, and dedupes floods again per account).
import { randomUUID } from 'node:crypto';
import { isMailboxStream, mailboxCodec, mailboxStream, parseMailboxEvent, type MailboxEvent } from '../events/mailbox.events.js';
import type { EventStore, RecordedEvent } from '../store/port.js';
import { unreadableEvent } from '../projections/runner.js';
import { CommandHandler, type EventMetadata } from './command-handler.js';
import { mailboxDecider, type EmailRequestKind, type MailboxCommand, type MailboxState } from './mailbox.rules.js';
import { lruStateCache } from './state-cache.js';
import { emailKey } from './normalize.js';
import { isAccount, type UserState } from './account.state.js';
import { isDomainError } from './decider.js';
import type { UserCommand } from './account.decider.js';

export interface Mailboxes {
  /** Records that the account takes this address; call it before the account's own event (a holder may be stale). */
  recordHolder(email: string, userId: string, metadata?: EventMetadata): Promise<void>;
  /** Records that `email` asked for an email of this kind (at most once per window per address). */
  requestEmail(kind: EmailRequestKind, email: string, metadata?: EventMetadata): Promise<void>;
  /** The accounts that hold the address now, by its stream. */
  holdersOf(stream: string): Promise<string[]>;
}

export function mailboxes(deps: {
  store: EventStore;
  /** Names the streams (keyed hashes of the values): namingKey in erasure/data-key.ts. */
  namingKey: string;
  window: number;
  now: () => Date;
  loadAccount: (userId: string) => Promise<UserState>;
}): Mailboxes {
  const handler = new CommandHandler<MailboxState, MailboxCommand, MailboxEvent>({
    store: deps.store,
    decider: mailboxDecider,
    codec: mailboxCodec,
    cache: lruStateCache(),
    newEventId: randomUUID,
  });
  const streamOf = (email: string) => mailboxStream(deps.namingKey, emailKey(email));
  return {
    async recordHolder(email, userId, metadata) {
      if (emailKey(email) === '') return;
      await handler.handle(streamOf(email), { type: 'RecordHolder', userId, now: deps.now() }, metadata);
    },
    async requestEmail(kind, email, metadata) {
      await handler.handle(streamOf(email), { type: 'RequestEmail', kind, window: deps.window, now: deps.now() }, metadata);
    },
    async holdersOf(stream) {
      const { state } = await handler.load(stream);
      const current: string[] = [];
      for (const userId of state.holders) {
        const account = await deps.loadAccount(userId);
        if (isAccount(account) && mailboxStream(deps.namingKey, emailKey(account.email)) === stream) current.push(userId);
      }
      return current;
    },
  };
}

/** What the dj-rest-auth surface's confirmation keys are made with (the decider hashes the key it makes). */
export interface EmailConfirmationKeys {
  readonly secret: string;
  readonly lifetimeSeconds: number;
}

/** The account command an email request of this kind becomes. */
export function accountCommandFor(kind: EmailRequestKind, window: number, now: Date, keys?: EmailConfirmationKeys): UserCommand {
  switch (kind) {
    case 'activation':
      return { type: 'RequestActivationEmail', window, now };
    case 'password_reset':
      return { type: 'RequestPasswordReset', window, now };
    case 'username_reset':
      return { type: 'RequestUsernameReset', window, now };
    case 'password_reset_key':
      return { type: 'RequestPasswordReset', window, surface: 'dj_rest_auth', now };
    case 'email_confirmation':
      if (!keys) throw new Error('an email_confirmation request needs the confirmation key settings');
      return { type: 'RequestEmailVerification', source: 'resend', key: keys, window, now };
  }
}

/**
 * The processor's handler (a checkpointed subscription): each recorded request becomes its command on every account
 * that holds the address now. Idempotent enough to run again after a crash: a repeat inside the window decides nothing.
 */
export function emailRequestProcessor(deps: {
  mailboxes: Mailboxes;
  execute: (userId: string, command: UserCommand, metadata: EventMetadata) => Promise<unknown>;
  window: number;
  now: () => Date;
  /** For the dj-rest-auth surface's resend-email. */
  emailConfirmationKeys?: EmailConfirmationKeys;
}) {
  // Every other event is passed over without a promise (undefined: nothing to wait for), as the runner allows: a
  // processor with no checkpoint yet reads the whole log, and requests are a sliver of it.
  return (recorded: RecordedEvent): Promise<void> | undefined =>
    isMailboxStream(recorded.streamId) && recorded.type === 'EmailRequested' ? processRequest(recorded) : undefined;

  async function processRequest(recorded: RecordedEvent): Promise<void> {
    let event: MailboxEvent;
    try {
      event = parseMailboxEvent(recorded.type, recorded.data);
    } catch (error) {
      throw unreadableEvent(error); // a version this release cannot read: the runner stops and /health says where
    }
    if (event.type !== 'EmailRequested') return;
    const metadata = { ...recorded.metadata, actor: 'system', causationId: recorded.id };
    for (const userId of await deps.mailboxes.holdersOf(recorded.streamId)) {
      try {
        await deps.execute(userId, accountCommandFor(event.data.kind, deps.window, deps.now(), deps.emailConfirmationKeys), metadata);
      } catch (error) {
        if (!isDomainError(error, 'not_found')) throw error; // not eligible (inactive, unusable password …)
      }
    }
  }
}
