// The emails' exact bytes. The English expectations were taken from the hard-coded renderer (djoser's templates laid
// out by hand) before the templates moved to files, so the move is checked to change nothing a recipient sees.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderEmail, type EmailContext, type EmailKind } from '../../src/email/templates.js';

const lines = (...l: string[]) => l.join('\n') + '\n';
const html = (...paragraphs: string[]) => lines('<html><body>', ...paragraphs, '</body></html>');

const CTX: EmailContext = { siteName: 'Example', protocol: 'https', domain: 'example.com', username: 'alice', url: 'activate/MQ/abc-123' };
const LINK = 'https://example.com/activate/MQ/abc-123';
const A = `<a href="${LINK}">${LINK}</a>`;

const closingText = ['Thanks for using our site!', '', 'The Example team'];
const closingHtml = ['<p>Thanks for using our site!</p>', '<p>The Example team</p>'];

/** What each djoser email looked like before the templates moved to files (CTX above). */
const ENGLISH: Record<EmailKind, { subject: string; text: string; html: string }> = {
  activation: {
    subject: 'Account activation on Example',
    text: lines(
      "You're receiving this email because you need to finish activation process on Example.",
      '',
      'Please go to the following page to activate account:',
      LINK,
      '',
      ...closingText,
    ),
    html: html(
      '<p>You&#x27;re receiving this email because you need to finish activation process on Example.</p>',
      '<p>Please go to the following page to activate account:<br>',
      `${A}</p>`,
      ...closingHtml,
    ),
  },
  confirmation: {
    subject: 'Example - Your account has been successfully created and activated!',
    text: lines('Your account has been created and is ready to use!', '', ...closingText),
    html: html('<p>Your account has been created and is ready to use!</p>', ...closingHtml),
  },
  password_reset: {
    subject: 'Password reset on Example',
    text: lines(
      "You're receiving this email because you requested a password reset for your user account at Example.",
      '',
      'Please go to the following page and choose a new password:',
      LINK,
      "Your username, in case you've forgotten: alice",
      '',
      ...closingText,
    ),
    html: html(
      '<p>You&#x27;re receiving this email because you requested a password reset for your user account at Example.</p>',
      '<p>Please go to the following page and choose a new password:<br>',
      `${A}<br>`,
      'Your username, in case you&#x27;ve forgotten: alice</p>',
      ...closingHtml,
    ),
  },
  password_changed_confirmation: {
    subject: 'Example - Your password has been successfully changed!',
    text: lines('Your password has been changed!', '', ...closingText),
    html: html('<p>Your password has been changed!</p>', ...closingHtml),
  },
  username_reset: {
    subject: 'Username reset on Example',
    text: lines(
      "You're receiving this email because you requested a username reset for your user account at Example.",
      '',
      'Please go to the following page and choose a new username:',
      LINK,
      "Your username, in case you've forgotten: alice",
      '',
      ...closingText,
    ),
    html: html(
      '<p>You&#x27;re receiving this email because you requested a username reset for your user account at Example.</p>',
      '<p>Please go to the following page and choose a new username:<br>',
      `${A}<br>`,
      'Your username, in case you&#x27;ve forgotten: alice</p>',
      ...closingHtml,
    ),
  },
  username_changed_confirmation: {
    subject: 'Example - Your username has been successfully changed!',
    text: lines('Your username has been changed!', '', ...closingText),
    html: html('<p>Your username has been changed!</p>', ...closingHtml),
  },
};

const KINDS = Object.keys(ENGLISH) as EmailKind[];

/** A site name and username that need escaping in HTML, and a link with characters that would. */
const NASTY: EmailContext = {
  siteName: `O'Brien & <Co> "x"`,
  protocol: 'http',
  domain: 'localhost:8000',
  username: '<b>&x',
  url: 'reset/a?b=1&c=<2>',
};
const NASTY_RESET = {
  subject: `Password reset on O'Brien & <Co> "x"`,
  text: lines(
    `You're receiving this email because you requested a password reset for your user account at O'Brien & <Co> "x".`,
    '',
    'Please go to the following page and choose a new password:',
    'http://localhost:8000/reset/a?b=1&c=<2>',
    "Your username, in case you've forgotten: <b>&x",
    '',
    'Thanks for using our site!',
    '',
    `The O'Brien & <Co> "x" team`,
  ),
  html: html(
    '<p>You&#x27;re receiving this email because you requested a password reset for your user account at O&#x27;Brien &amp; &lt;Co&gt; &quot;x&quot;.</p>',
    '<p>Please go to the following page and choose a new password:<br>',
    '<a href="http://localhost:8000/reset/a?b=1&c=<2>">http://localhost:8000/reset/a?b=1&c=<2></a><br>',
    'Your username, in case you&#x27;ve forgotten: &lt;b&gt;&amp;x</p>',
    '<p>Thanks for using our site!</p>',
    '<p>The O&#x27;Brien &amp; &lt;Co&gt; &quot;x&quot; team</p>',
  ),
};

describe('email templates: English, as before the move to files', () => {
  for (const kind of KINDS) {
    it(`${kind}: subject, text and HTML byte for byte`, () => {
      assert.deepEqual({ ...renderEmail(kind, CTX) }, ENGLISH[kind]);
    });
  }

  it('escapes values in HTML (not the link), leaves the text part alone', () => {
    assert.deepEqual({ ...renderEmail('password_reset', NASTY) }, NASTY_RESET);
  });
});
