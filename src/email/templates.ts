// djoser's six emails (djoser/templates/email/*.html): subject, plain text and HTML. Links are built from the
// *_URL settings and are not HTML-escaped (djoser 2.3 marks them safe).
export type EmailKind =
  | 'activation'
  | 'confirmation'
  | 'password_reset'
  | 'password_changed_confirmation'
  | 'username_reset'
  | 'username_changed_confirmation';

export interface EmailContext {
  readonly siteName: string;
  readonly protocol: string;
  readonly domain: string;
  readonly username: string;
  /** The path part of the link (ACTIVATION_URL etc. with uid and token filled in); absent for confirmations. */
  readonly url?: string;
}

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c]!);

type Line = string | { link: true } | { username: string };

function render(subject: string, lines: Line[], c: EmailContext): RenderedEmail {
  const link = `${c.protocol}://${c.domain}/${c.url ?? ''}`;
  const text = lines.map((l) => (typeof l === 'string' ? l : 'link' in l ? link : `${l.username} ${c.username}`)).join('\n\n');
  const html = lines
    .map((l) =>
      typeof l === 'string'
        ? `<p>${escapeHtml(l)}</p>`
        : 'link' in l
          ? `<p><a href="${link}">${link}</a></p>`
          : `<p>${escapeHtml(l.username)} ${escapeHtml(c.username)}</p>`,
    )
    .join('\n');
  return { subject, text: `${text}\n`, html: `<html><body>\n${html}\n</body></html>\n` };
}

export function renderEmail(kind: EmailKind, c: EmailContext): RenderedEmail {
  const thanks = 'Thanks for using our site!';
  const team = `The ${c.siteName} team`;
  const forgot = { username: "Your username, in case you've forgotten:" };
  switch (kind) {
    case 'activation':
      return render(`Account activation on ${c.siteName}`, [
        `You're receiving this email because you need to finish activation process on ${c.siteName}.`,
        'Please go to the following page to activate account:',
        { link: true },
        thanks,
        team,
      ], c);
    case 'confirmation':
      return render(`${c.siteName} - Your account has been successfully created and activated!`, [
        'Your account has been created and is ready to use!',
        thanks,
        team,
      ], c);
    case 'password_reset':
      return render(`Password reset on ${c.siteName}`, [
        `You're receiving this email because you requested a password reset for your user account at ${c.siteName}.`,
        'Please go to the following page and choose a new password:',
        { link: true },
        forgot,
        thanks,
        team,
      ], c);
    case 'password_changed_confirmation':
      return render(`${c.siteName} - Your password has been successfully changed!`, ['Your password has been changed!', thanks, team], c);
    case 'username_reset':
      return render(`Username reset on ${c.siteName}`, [
        `You're receiving this email because you requested a username reset for your user account at ${c.siteName}.`,
        'Please go to the following page and choose a new username:',
        { link: true },
        forgot,
        thanks,
        team,
      ], c);
    case 'username_changed_confirmation':
      return render(`${c.siteName} - Your username has been successfully changed!`, ['Your username has been changed!', thanks, team], c);
  }
}
