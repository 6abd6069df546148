// The email consumer: which account events send which djoser email. It builds uid and token at send time from the
// account's current state in the event store, so a link always matches the account as it is.
//
// emailDeliveryHandler is the consumer proper, the same code on RabbitMQ and on the in-process bus: it reads the
// event's public form from the message, skips a messageId already emailed, sends, records the messageId, and asks the
// bus to retry a temporary SMTP failure with backoff or to dead-letter a permanent one (or the last attempt).
import type { Config } from '../config.js';
import { siteDomain } from '../config.js';
import { routingKey, type UserEvent, type UserEventType } from '../events/user.events.js';
import type { Logger } from '../log.js';
import { retryDelay, type DeliveryHandler, type Verdict } from '../amqp/bus.js';
import { MalformedMessageError, parseMessage } from '../amqp/cloudevents.js';
import { isPermanentSmtpError, type Mailer } from './mailer.js';
import type { SentStore } from './sent.js';
import { metrics } from '../observability/metrics.js';
import { encodeUid, makeLinkToken, type LinkPurpose } from '../crypto/link-token.js';
import type { AnyEmailKind, EmailKind, EmailRenderer, RenderedEmail } from './templates.js';
import { allauthEmailKindFor, composeAllauthEmail } from './allauth.js';

export interface OutgoingEmail extends Omit<RenderedEmail, 'html'> {
  /** allauth's emails are text only. */
  readonly html?: string;
  readonly to: string;
  readonly kind: AnyEmailKind;
  /** The event that caused it: the Message-ID derives from it, so a resend is recognisable downstream. */
  readonly eventId: string;
  /** The link in the email, if any (never logged: it carries the uid and token). */
  readonly link?: string;
}

/** What an email needs to know of its account, as the event store has it now (the link must match it). */
export interface Recipient {
  readonly id: string;
  readonly active: boolean;
  readonly username: string;
  readonly email: string;
  readonly passwordHash: string | null;
  readonly lastLogin: string | null;
}

/** The port the consumer reads accounts through: null for an account that is gone (or never was). */
export type RecipientLookup = (userId: string) => Promise<Recipient | null>;

export interface EmailConsumerDeps {
  readonly config: Config;
  readonly secretKey: string;
  readonly recipient: RecipientLookup;
  readonly now: () => Date;
  /** The email templates (LANGUAGE_CODE, EMAIL_TEMPLATES_DIR), loaded and checked once at start. */
  readonly emails: EmailRenderer;
}

const linked: Partial<
  Record<EmailKind, { purpose: LinkPurpose; setting: 'ACTIVATION_URL' | 'PASSWORD_RESET_CONFIRM_URL' | 'USERNAME_RESET_CONFIRM_URL' }>
> = {
  activation: { purpose: 'activation', setting: 'ACTIVATION_URL' },
  password_reset: { purpose: 'password_reset', setting: 'PASSWORD_RESET_CONFIRM_URL' },
  username_reset: { purpose: 'username_reset', setting: 'USERNAME_RESET_CONFIRM_URL' },
};

/** The email an event calls for under these settings, or null. */
export function emailKindFor(event: UserEvent, config: Config): EmailKind | null {
  switch (event.type) {
    case 'ActivationEmailRequested':
      return 'activation';
    case 'UserRegistered':
      return event.data.isActive && config.SEND_CONFIRMATION_EMAIL ? 'confirmation' : null;
    case 'UserActivated':
      return config.SEND_CONFIRMATION_EMAIL ? 'confirmation' : null;
    case 'PasswordResetRequested':
      return 'password_reset';
    case 'PasswordChanged':
      return config.PASSWORD_CHANGED_EMAIL_CONFIRMATION ? 'password_changed_confirmation' : null;
    case 'UsernameResetRequested':
      return 'username_reset';
    case 'UsernameChanged':
      return config.USERNAME_CHANGED_EMAIL_CONFIRMATION ? 'username_changed_confirmation' : null;
    case 'EmailChanged':
      // On the email user model set_email / reset_email_confirm are djoser's "username" actions, with its email.
      return config.USERNAME_FIELD === 'email' && event.data.reason !== 'profile' && config.USERNAME_CHANGED_EMAIL_CONFIRMATION
        ? 'username_changed_confirmation'
        : null;
    default:
      return null;
  }
}

/**
 * The notice an event calls for besides its email (EMAIL_CHANGED_NOTICE): the previous address is told its account
 * moved to another one, so a taken-over account does not go unnoticed. Its own message, with its own Message-ID.
 */
export function noticeFor(event: UserEvent, config: Config): { kind: EmailKind; to: string; newEmail: string } | null {
  switch (event.type) {
    case 'EmailChanged':
      if (!config.EMAIL_CHANGED_NOTICE || event.data.previousEmail === '' || event.data.previousEmail === event.data.email) return null;
      return { kind: 'email_changed_notice', to: event.data.previousEmail, newEmail: event.data.email };
    default:
      return null;
  }
}

/** Builds the email for an event, or null when none is due (or the account is gone, or has no address). */
export async function composeEmail(deps: EmailConsumerDeps, event: UserEvent, eventId: string): Promise<OutgoingEmail | null> {
  // The dj-rest-auth surface's emails are allauth's (src/email/allauth.ts).
  if (allauthEmailKindFor(event)) return composeAllauthEmail(deps, event, eventId);
  const kind = emailKindFor(event, deps.config);
  if (!kind) return null;
  const state = await deps.recipient(event.data.userId);
  if (!state || state.email === '') return null;
  // An activation link for an account that is active by now would only be refused as stale.
  if (kind === 'activation' && state.active) return null;
  const url = linkPath(deps, kind, state);
  const domain = siteDomain(deps.config);
  const context = {
    siteName: deps.config.SITE_NAME ?? domain,
    protocol: deps.config.PROTOCOL,
    domain,
    username: state.username,
    ...(url === undefined ? {} : { url }),
  };
  const rendered = await deps.emails.render(kind, context);
  const link = url === undefined ? undefined : `${context.protocol}://${domain}/${url}`;
  return { ...rendered, to: state.email, kind, eventId, ...(link ? { link } : {}) };
}

/** The notice to the previous address, if the event calls for one (it needs no link, and no account state). */
export async function composeNotice(deps: EmailConsumerDeps, event: UserEvent, eventId: string): Promise<OutgoingEmail | null> {
  const notice = noticeFor(event, deps.config);
  if (!notice) return null;
  const domain = siteDomain(deps.config);
  const context = {
    siteName: deps.config.SITE_NAME ?? domain,
    protocol: deps.config.PROTOCOL,
    domain,
    username: '',
    newEmail: notice.newEmail,
  };
  return { ...(await deps.emails.render(notice.kind, context)), to: notice.to, kind: notice.kind, eventId: `${eventId}.${notice.kind}` };
}

function linkPath(deps: EmailConsumerDeps, kind: EmailKind, account: Recipient): string | undefined {
  const spec = linked[kind];
  if (!spec) return undefined;
  const token = makeLinkToken({
    secret: deps.secretKey,
    purpose: spec.purpose,
    user: { id: account.id, passwordHash: account.passwordHash, lastLogin: account.lastLogin, email: account.email },
    nowSeconds: Math.floor(deps.now().getTime() / 1000),
  });
  return deps.config[spec.setting].replaceAll('{uid}', encodeUid(account.id)).replaceAll('{token}', token);
}

/** Every event that can call for an email under some settings (the settings decide at send time). */
export const emailEventTypes: readonly UserEventType[] = [
  'UserRegistered',
  'UserActivated',
  'ActivationEmailRequested',
  'PasswordResetRequested',
  'PasswordChanged',
  'UsernameChanged',
  'UsernameResetRequested',
  'EmailChanged',
  'EmailVerificationRequested',
];

/** The email queue's bindings: one routing key per event above. */
export const emailBindings: readonly string[] = emailEventTypes.map(routingKey);

export interface EmailHandlerDeps extends EmailConsumerDeps {
  readonly mailer: Mailer;
  readonly sent: SentStore;
  readonly log: Logger;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly retryMaxDelayMs: number;
}

export function emailDeliveryHandler(deps: EmailHandlerDeps): DeliveryHandler {
  const { log } = deps;
  // Deliveries of one messageId in this process run one after another, so two copies in hand at once send once.
  const inFlight = new Map<string, Promise<unknown>>();

  async function handle(messageId: string, event: UserEvent, eventId: string, attempt: number): Promise<Verdict> {
    // An event's own email is recorded under its messageId; a notice beside it under its own key.
    const notice = await composeNotice(deps, event, eventId);
    if (notice) {
      const verdict = await deliver(`${messageId}:${notice.kind}`, event, attempt, async () => notice);
      if (verdict.action !== 'ack') return verdict;
    }
    return deliver(messageId, event, attempt, () => composeEmail(deps, event, eventId));
  }

  /** Sends one email unless it was sent before under `messageId` (the key it is recorded as sent under). */
  async function deliver(
    messageId: string,
    event: UserEvent,
    attempt: number,
    compose: () => Promise<OutgoingEmail | null>,
  ): Promise<Verdict> {
    if (await deps.sent.has(messageId)) {
      log.info('email already sent for this message, skipping the duplicate', { messageId, attempt });
      return { action: 'ack' };
    }
    let email;
    try {
      email = await compose();
    } catch (error) {
      return failed(error, attempt, 'composing');
    }
    if (!email) return { action: 'ack' };
    try {
      await deps.mailer.send(email);
    } catch (error) {
      if (isPermanentSmtpError(error)) return { action: 'dead-letter', reason: `SMTP refused permanently: ${String(error)}` };
      return failed(error, attempt, 'sending');
    }
    try {
      await deps.sent.record(messageId, { kind: email.kind, at: deps.now() });
    } catch (error) {
      // Sent but not recorded: acking anyway means only a crash-redelivery could send it again.
      log.error('email sent but not recorded as sent', { messageId, error: String(error) });
    }
    log.info('email sent', { kind: email.kind, userId: event.data.userId, eventId: email.eventId, attempt });
    metrics.emailSent(email.kind);
    return { action: 'ack' };
  }

  function failed(error: unknown, attempt: number, what: string): Verdict {
    const reason = `${what} failed: ${String(error)}`;
    if (attempt >= deps.maxAttempts) return { action: 'dead-letter', reason: `${reason} (attempt ${attempt} of ${deps.maxAttempts})` };
    return { action: 'retry', delayMs: retryDelay(attempt, deps.retryDelayMs, deps.retryMaxDelayMs), reason };
  }

  return async (delivery) => {
    let parsed;
    try {
      parsed = parseMessage(delivery.body);
    } catch (error) {
      if (error instanceof MalformedMessageError) {
        return metrics.emailVerdict({ action: 'dead-letter', reason: `malformed message: ${error.message}` });
      }
      throw error;
    }
    const messageId = delivery.messageId || parsed.cloudEvent.id;
    for (let previous = inFlight.get(messageId); previous; previous = inFlight.get(messageId)) await previous.catch(() => {});
    const result = handle(messageId, parsed.event, parsed.cloudEvent.id, delivery.attempt);
    inFlight.set(messageId, result);
    try {
      return metrics.emailVerdict(await result);
    } finally {
      if (inFlight.get(messageId) === result) inFlight.delete(messageId);
    }
  };
}
