// The dj-rest-auth surface's emails, as django-allauth 0.51 sends them (templates/email/<lang>/email_confirmation*,
// password_reset_key*): the confirmation email with its key link, and the password reset with the
// REST_AUTH_PASSWORD_RESET_CONFIRM_URL link (uid in allauth's encoding). Like djoser's, they are built at send time
// from the account as the event store has it now: the reset token from its current state, the confirmation key from
// the request event (the decider stored that key's hash).
import { siteDomain } from '../config.js';
import type { UserEvent } from '../events/user.events.js';
import { emailConfirmationKey } from '../crypto/email-key.js';
import { encodeAllauthUid } from '../crypto/allauth-uid.js';
import { makeLinkToken } from '../crypto/link-token.js';
import type { EmailConsumerDeps, OutgoingEmail } from './consumer.js';
import type { AllauthEmailKind } from './templates.js';

/** The allauth email an event calls for, or null (djoser's emails are the consumer's). */
export function allauthEmailKindFor(event: UserEvent): AllauthEmailKind | null {
  if (event.type === 'EmailVerificationRequested')
    return event.data.source === 'signup' ? 'email_confirmation_signup' : 'email_confirmation';
  if (event.type === 'PasswordResetRequested' && event.data.surface === 'dj_rest_auth') return 'password_reset_key';
  return null;
}

/** Builds the allauth email for an event, or null when none is due (or the account is gone, or has no address). */
export async function composeAllauthEmail(deps: EmailConsumerDeps, event: UserEvent, eventId: string): Promise<OutgoingEmail | null> {
  const kind = allauthEmailKindFor(event);
  if (!kind) return null;
  const { config } = deps;
  const account = await deps.recipient(event.data.userId);
  if (!account || account.email === '') return null;
  const renderer = deps.emails;
  const domain = siteDomain(config);
  const site = { siteName: config.SITE_NAME ?? domain, siteDomain: domain };
  const origin = `${config.PROTOCOL}://${domain}`;
  let link: string;
  let rendered;
  if (kind === 'password_reset_key') {
    const token = makeLinkToken({
      secret: deps.secretKey,
      purpose: 'allauth_password_reset',
      user: { id: account.id, passwordHash: account.passwordHash, lastLogin: account.lastLogin, email: account.email },
      nowSeconds: Math.floor(deps.now().getTime() / 1000),
    });
    const path = config.REST_AUTH_PASSWORD_RESET_CONFIRM_URL.replaceAll('{uid}', encodeAllauthUid(account.id)).replaceAll('{token}', token);
    link = `${origin}/${path.replace(/^\//, '')}`;
    // allauth leaves the username out when accounts log in by email only.
    const username = config.ACCOUNT_AUTHENTICATION_METHOD === 'email' ? {} : { username: account.username };
    rendered = await renderer.render(kind, { ...site, passwordResetUrl: link, ...username });
  } else {
    // The surface was unmounted since the request: there is no page to link to.
    if (config.DJ_REST_AUTH_PREFIX === undefined || event.type !== 'EmailVerificationRequested') return null;
    const key = emailConfirmationKey(deps.secretKey, account.id, Math.floor(Date.parse(event.data.at) / 1000));
    link = `${origin}${config.DJ_REST_AUTH_PREFIX}/registration/account-confirm-email/${key}/`;
    rendered = await renderer.render(kind, { ...site, userDisplay: account.username, activateUrl: link });
  }
  return { ...rendered, to: account.email, kind, eventId, link };
}
