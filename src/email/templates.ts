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

/** A line of text, the link, or the "in case you've forgotten" username line. */
type Line = string | { link: true } | { forgotten: true };
/** Paragraphs of lines, as djoser's templates lay them out (lines of one paragraph on consecutive rows). */
type Body = Line[][];

function render(subject: string, body: Body, c: EmailContext): RenderedEmail {
  const link = `${c.protocol}://${c.domain}/${c.url ?? ''}`;
  const forgotten = "Your username, in case you've forgotten:";
  const asText = (l: Line) => (typeof l === 'string' ? l : 'link' in l ? link : `${forgotten} ${c.username}`);
  const asHtml = (l: Line) =>
    typeof l === 'string' ? escapeHtml(l) : 'link' in l ? `<a href="${link}">${link}</a>` : `${escapeHtml(forgotten)} ${escapeHtml(c.username)}`;
  const text = body.map((p) => p.map(asText).join('\n')).join('\n\n');
  const html = body.map((p) => `<p>${p.map(asHtml).join('<br>\n')}</p>`).join('\n');
  return { subject, text: `${text}\n`, html: `<html><body>\n${html}\n</body></html>\n` };
}

/** The password and username reset emails differ only in what is reset. */
const resetEmail = (what: 'password' | 'username', c: EmailContext, closing: Body): RenderedEmail =>
  render(`${what === 'password' ? 'Password' : 'Username'} reset on ${c.siteName}`, [
    [`You're receiving this email because you requested a ${what} reset for your user account at ${c.siteName}.`],
    [`Please go to the following page and choose a new ${what}:`, { link: true }, { forgotten: true }],
    ...closing,
  ], c);

export function renderEmail(kind: EmailKind, c: EmailContext): RenderedEmail {
  const closing: Body = [['Thanks for using our site!'], [`The ${c.siteName} team`]];
  switch (kind) {
    case 'activation':
      return render(`Account activation on ${c.siteName}`, [
        [`You're receiving this email because you need to finish activation process on ${c.siteName}.`],
        ['Please go to the following page to activate account:', { link: true }],
        ...closing,
      ], c);
    case 'confirmation':
      return render(`${c.siteName} - Your account has been successfully created and activated!`, [
        ['Your account has been created and is ready to use!'],
        ...closing,
      ], c);
    case 'password_reset':
      return resetEmail('password', c, closing);
    case 'password_changed_confirmation':
      return render(`${c.siteName} - Your password has been successfully changed!`, [['Your password has been changed!'], ...closing], c);
    case 'username_reset':
      return resetEmail('username', c, closing);
    case 'username_changed_confirmation':
      return render(`${c.siteName} - Your username has been successfully changed!`, [['Your username has been changed!'], ...closing], c);
  }
}
