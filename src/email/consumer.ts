// The email consumer: which account events send which djoser email. It builds uid and token at send time from the
// account's current state in the event store, so a link always matches the account as it is.
import type { Config } from '../config.js';
import { siteDomain } from '../config.js';
import type { EventStore } from '../store/port.js';
import type { UserEvent } from '../events/user.events.js';
import { loadUser } from '../commands/handle.js';
import { isAccount, type Account } from '../commands/user.decider.js';
import { encodeUid, makeLinkToken, type LinkPurpose } from '../crypto/link-token.js';
import { renderEmail, type EmailKind, type RenderedEmail } from './templates.js';

export interface OutgoingEmail extends RenderedEmail {
  readonly to: string;
  readonly kind: EmailKind;
  /** The event that caused it: the Message-ID derives from it, so a resend is recognisable downstream. */
  readonly eventId: string;
  /** The link in the email, if any (logged on the embedded default so a developer can follow it). */
  readonly link?: string;
}

export interface EmailConsumerDeps {
  readonly config: Config;
  readonly secretKey: string;
  readonly store: EventStore;
  readonly now: () => Date;
}

const linked: Partial<Record<EmailKind, { purpose: LinkPurpose; setting: 'ACTIVATION_URL' | 'PASSWORD_RESET_CONFIRM_URL' | 'USERNAME_RESET_CONFIRM_URL' }>> = {
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
    default:
      return null;
  }
}

/** Builds the email for an event, or null when none is due (or the account is gone, or has no address). */
export async function composeEmail(deps: EmailConsumerDeps, event: UserEvent, eventId: string): Promise<OutgoingEmail | null> {
  const kind = emailKindFor(event, deps.config);
  if (!kind) return null;
  const { state } = await loadUser(deps.store, event.data.userId);
  if (!isAccount(state) || state.email === '') return null;
  // An activation link for an account that is active by now would only be refused as stale.
  if (kind === 'activation' && state.status === 'active') return null;
  const url = linkPath(deps, kind, state);
  const domain = siteDomain(deps.config);
  const context = {
    siteName: deps.config.SITE_NAME ?? domain,
    protocol: deps.config.PROTOCOL,
    domain,
    username: state.username,
    ...(url === undefined ? {} : { url }),
  };
  const rendered = renderEmail(kind, context);
  const link = url === undefined ? undefined : `${context.protocol}://${domain}/${url}`;
  return { ...rendered, to: state.email, kind, eventId, ...(link ? { link } : {}) };
}

function linkPath(deps: EmailConsumerDeps, kind: EmailKind, account: Account): string | undefined {
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
