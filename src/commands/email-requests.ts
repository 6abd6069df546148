// Emails asked for with just an address (resend_activation, reset_password, reset_username). The request path only
// records the request on the address's own stream — the same work whether or not an account has the address, so its
// timing tells nothing — and answers; this module's processor then follows those streams and asks each account with
// the address (its decider says who may get the email, and dedupes floods again per account).
import { randomUUID } from 'node:crypto';
import { emailRequestCodec, emailRequestStream, isEmailRequestStream, parseEmailRequestEvent } from '../events/email-request.events.js';
import { seal, unseal } from '../crypto/sealed.js';
import type { EventStore, RecordedEvent } from '../store/port.js';
import { CommandHandler, type EventMetadata } from './command-handler.js';
import { emailRequestDecider, type EmailRequestKind, type EmailRequestState, type RequestEmail } from './email-request.rules.js';
import type { EmailRequestEvent } from '../events/email-request.events.js';
import { lruStateCache } from './state-cache.js';
import { emailKey } from './normalize.js';
import type { UserCommand } from './account.decider.js';
import type { UseCaseDeps } from './accounts.js';

export interface EmailRequests {
  /** Records that `email` asked for an email of this kind (at most once per window per address). */
  record(kind: EmailRequestKind, email: string, metadata?: EventMetadata): Promise<void>;
}

export function emailRequests(deps: { store: EventStore; secretKey: string; window: number; now: () => Date }): EmailRequests {
  const handler = new CommandHandler<EmailRequestState, RequestEmail, EmailRequestEvent>({
    store: deps.store,
    decider: emailRequestDecider,
    codec: emailRequestCodec,
    cache: lruStateCache(),
    newEventId: randomUUID,
  });
  return {
    async record(kind, email, metadata) {
      const stream = emailRequestStream(deps.secretKey, emailKey(email));
      const command = {
        type: 'RequestEmail',
        kind,
        sealedAddress: seal(deps.secretKey, email),
        window: deps.window,
        now: deps.now(),
      } as const;
      await handler.handle(stream, command, metadata);
    },
  };
}

/** The account command an email request of this kind becomes. */
export function accountCommandFor(kind: EmailRequestKind, window: number, now: Date): UserCommand {
  switch (kind) {
    case 'activation':
      return { type: 'RequestActivationEmail', window, now };
    case 'password_reset':
      return { type: 'RequestPasswordReset', window, now };
    case 'username_reset':
      return { type: 'RequestUsernameReset', window, now };
  }
}

/**
 * The processor's handler (a checkpointed subscription): each recorded request becomes its command on every account
 * with the address. Idempotent enough to run again after a crash: a repeat inside the window decides nothing.
 */
export function emailRequestProcessor(
  deps: UseCaseDeps,
  forAccountsWithEmail: (email: string, command: () => UserCommand, metadata: EventMetadata) => Promise<number>,
) {
  return async (recorded: RecordedEvent): Promise<void> => {
    if (!isEmailRequestStream(recorded.streamId)) return;
    const { data } = parseEmailRequestEvent(recorded.type, recorded.data);
    const address = unseal(deps.secretKey, data.address);
    if (address === null) return; // sealed under an earlier SECRET_KEY: nobody can be emailed a link now anyway
    const metadata = { ...recorded.metadata, actor: 'system', causationId: recorded.id };
    await forAccountsWithEmail(address, () => accountCommandFor(data.kind, deps.config.EMAIL_REQUEST_WINDOW, deps.now()), metadata);
  };
}
