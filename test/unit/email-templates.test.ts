// The emails' exact bytes. The English expectations were taken from the hard-coded renderer (djoser's templates laid
// out by hand) before the templates moved to files, so the move is checked to change nothing a recipient sees.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmailRenderer, renderEmail, type EmailContext, type EmailKind } from '../../src/email/templates.js';

const lines = (...l: string[]) => l.join('\n') + '\n';
const html = (...paragraphs: string[]) => lines('<html><body>', ...paragraphs, '</body></html>');

const CTX: EmailContext = { siteName: 'Example', protocol: 'https', domain: 'example.com', username: 'alice', url: 'activate/MQ/abc-123' };
const LINK = 'https://example.com/activate/MQ/abc-123';
const A = `<a href="${LINK}">${LINK}</a>`;

const closingText = ['Thanks for using our site!', '', 'The Example team'];
const closingHtml = ['<p>Thanks for using our site!</p>', '<p>The Example team</p>'];

/** djoser's own six emails (authstream's email_changed_notice has no djoser original). */
type DjoserKind = Exclude<EmailKind, 'email_changed_notice'>;

/** What each djoser email looked like before the templates moved to files (CTX above). */
const ENGLISH: Record<DjoserKind, { subject: string; text: string; html: string }> = {
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

const KINDS = Object.keys(ENGLISH) as DjoserKind[];

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

// German: djoser's own de translation (django.po) where it has the message; the rest translated in the same style.
const DE_CLOSING_TEXT = ['Vielen Dank für die Nutzung unserer Seite!', '', 'Das Team von Example'];
const DE_CLOSING_HTML = ['<p>Vielen Dank für die Nutzung unserer Seite!</p>', '<p>Das Team von Example</p>'];
const deConfirmation = (subject: string, body: string) => ({
  subject,
  text: lines(body, '', ...DE_CLOSING_TEXT),
  html: html(`<p>${body}</p>`, ...DE_CLOSING_HTML),
});
const deReset = (subject: string, intro: string, choose: string) => ({
  subject,
  text: lines(intro, '', choose, LINK, 'Ihr Benutzername - falls Sie ihn vergessen haben - lautet: alice', '', ...DE_CLOSING_TEXT),
  html: html(
    `<p>${intro}</p>`,
    `<p>${choose}<br>`,
    `${A}<br>`,
    'Ihr Benutzername - falls Sie ihn vergessen haben - lautet: alice</p>',
    ...DE_CLOSING_HTML,
  ),
});
const GERMAN: Record<DjoserKind, { subject: string; text: string; html: string }> = {
  activation: {
    subject: 'Aktivierung des Benutzerkontos auf Example',
    text: lines(
      'Sie erhalten diese E-Mail, da Sie den Aktivierungsprozess auf Example abschließen müssen.',
      '',
      'Bitte begeben Sie sich auf folgende Seite, um die Aktivierung abzuschließen:',
      LINK,
      '',
      ...DE_CLOSING_TEXT,
    ),
    html: html(
      '<p>Sie erhalten diese E-Mail, da Sie den Aktivierungsprozess auf Example abschließen müssen.</p>',
      '<p>Bitte begeben Sie sich auf folgende Seite, um die Aktivierung abzuschließen:<br>',
      `${A}</p>`,
      ...DE_CLOSING_HTML,
    ),
  },
  confirmation: deConfirmation(
    'Example - Ihr Benutzerkonto wurde erfolgreich erstellt und aktiviert!',
    'Ihr Benutzerkonto wurde erstellt und ist freigeschaltet!',
  ),
  password_reset: deReset(
    'Zurücksetzen des Passworts auf Example',
    'Sie erhalten diese E-Mail, da Sie das Zurücksetzen Ihres Passworts auf Example angefordert haben.',
    'Bitte geben Sie auf der folgenden Seite ein neues Passwort ein:',
  ),
  password_changed_confirmation: deConfirmation('Example - Ihr Passwort wurde erfolgreich geändert!', 'Ihr Passwort wurde geändert!'),
  username_reset: deReset(
    'Zurücksetzen des Benutzernamens auf Example',
    'Sie erhalten diese E-Mail, da Sie das Zurücksetzen Ihres Benutzernamens auf Example angefordert haben.',
    'Bitte geben Sie auf der folgenden Seite einen neuen Benutzernamen ein:',
  ),
  username_changed_confirmation: deConfirmation(
    'Example - Ihr Benutzername wurde erfolgreich geändert!',
    'Ihr Benutzername wurde geändert!',
  ),
};

// allauth 0.51: these strings are what Django 3.2 renders from allauth's own templates and de translation, with this
// context, through allauth's render_mail (subject joined to one line and prefixed "[site name] ", body stripped).
const SITE = { siteName: 'Example <&>', siteDomain: 'example.com' };
const CONFIRM = { ...SITE, userDisplay: '<b>&x', activateUrl: 'https://example.com/confirm/a&b/' };
const RESET_KEY = { ...SITE, passwordResetUrl: 'https://example.com/reset/1-a&b/', username: '<b>&x' };
const ALLAUTH = {
  en: {
    confirmSubject: '[Example <&>] Please Confirm Your E-mail Address',
    confirmText: [
      'Hello from Example <&>!',
      '',
      "You're receiving this e-mail because user <b>&x has given your e-mail address to register an account on example.com.",
      '',
      'To confirm this is correct, go to https://example.com/confirm/a&b/',
      '',
      'Thank you for using Example <&>!',
      'example.com',
    ].join('\n'),
    resetSubject: '[Example <&>] Password Reset E-mail',
    resetText: (username: boolean) =>
      [
        'Hello from Example <&>!',
        '',
        "You're receiving this e-mail because you or someone else has requested a password for your user account.",
        'It can be safely ignored if you did not request a password reset. Click the link below to reset your password.',
        '',
        'https://example.com/reset/1-a&b/',
        ...(username ? ['', 'In case you forgot, your username is <b>&x.'] : []),
        '',
        'Thank you for using Example <&>!',
        'example.com',
      ].join('\n'),
  },
  de: {
    confirmSubject: '[Example <&>] Bitte bestätige deine E-Mail-Adresse',
    confirmText: [
      'Hallo von Example <&>!',
      '',
      'Du erhältst diese E-Mail, weil der Nutzer <b>&x von example.com deine E-Mail-Adresse als seine angab, um sie mit seinem Konto zu verknüpfen.',
      '',
      'Um dies zu bestätigen, rufe bitte folgende Adresse auf: https://example.com/confirm/a&b/',
      '',
      'Danke dass du Example <&> nutzt!',
      'example.com',
    ].join('\n'),
    resetSubject: '[Example <&>] E-Mail zum Zurücksetzen des Passworts',
    resetText: (username: boolean) =>
      [
        'Hallo von Example <&>!',
        '',
        'Du erhältst diese E-Mail weil du oder jemand anderes die Zurücksetzung des Passwortes für dein Konto gefordert hat.',
        'Falls es sich dabei nicht um dich handelt, kann diese Nachricht ignoriert werden. Rufe folgende Adresse auf um dein Passwort zurückzusetzen.',
        '',
        'https://example.com/reset/1-a&b/',
        ...(username ? ['', 'Falls du deinen Anmeldenamen vergessen haben solltest; er lautet <b>&x.'] : []),
        '',
        'Danke dass du Example <&> nutzt!',
        'example.com',
      ].join('\n'),
  },
};

/** A scratch override directory: files given as { 'en/activation.subject.liquid': '...' }. */
function overrideDir(t: { after(fn: () => void): void }, files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'authstream-templates-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

describe('email templates: English, as before the move to files', () => {
  const en = createEmailRenderer({ language: 'en' });
  for (const kind of KINDS) {
    it(`${kind}: subject, text and HTML byte for byte (render, renderSync and the old renderEmail)`, async () => {
      assert.deepEqual(await en.render(kind, CTX), ENGLISH[kind]);
      assert.deepEqual(en.renderSync(kind, CTX), ENGLISH[kind]);
      assert.deepEqual({ ...renderEmail(kind, CTX) }, ENGLISH[kind]);
    });
  }

  it('escapes values in HTML, not the link; leaves the text part and the subject alone', async () => {
    assert.deepEqual(await en.render('password_reset', NASTY), NASTY_RESET);
  });

  it('a username like <b>&x is escaped in the HTML of both reset emails, verbatim in their text', async () => {
    for (const kind of ['password_reset', 'username_reset'] as const) {
      const mail = await en.render(kind, { ...CTX, username: '<b>&x' });
      assert.ok(mail.html.includes('forgotten: &lt;b&gt;&amp;x</p>'), mail.html);
      assert.ok(mail.text.includes("Your username, in case you've forgotten: <b>&x\n"), mail.text);
      assert.ok(!mail.html.includes('<b>&x'));
    }
  });
});

describe('email templates: German', () => {
  const de = createEmailRenderer({ language: 'de' });
  for (const kind of KINDS) {
    it(`${kind}`, async () => {
      assert.deepEqual(await de.render(kind, CTX), GERMAN[kind]);
    });
  }

  it("LANGUAGE_CODE 'de-at', 'de_AT' and 'DE' use the German templates", async () => {
    for (const language of ['de-at', 'de_AT', 'DE']) {
      const r = createEmailRenderer({ language });
      assert.equal(r.language, 'de');
      assert.deepEqual(await r.render('activation', CTX), GERMAN.activation);
    }
  });
});

describe('email templates: languages without templates fall back to English', () => {
  for (const language of ['fr', 'en-us', 'zh-hans']) {
    it(language, async () => {
      const r = createEmailRenderer({ language, fallbackLanguage: 'en' });
      assert.equal(r.language, 'en');
      for (const kind of KINDS) assert.deepEqual(await r.render(kind, CTX), ENGLISH[kind]);
    });
  }

  it('a language code that is not one is refused at creation', () => {
    for (const language of ['', '../en', 'en us', 'english!']) {
      assert.throws(() => createEmailRenderer({ language }), /is not a language code/);
    }
  });

  it('a fallback language without templates is refused at creation', () => {
    assert.throws(
      () => createEmailRenderer({ language: 'de', fallbackLanguage: 'fr' }),
      /no email templates for the fallback language "fr"/,
    );
  });
});

describe('email templates: an override directory', () => {
  it('replaces one file, and only that one', async (t) => {
    const dir = overrideDir(t, { 'en/activation.subject.liquid': 'Welcome to {{ site_name }}, {{ user.username }}\n' });
    const r = createEmailRenderer({ templatesDir: dir, language: 'en' });
    const mail = await r.render('activation', CTX);
    assert.equal(mail.subject, 'Welcome to Example, alice');
    assert.equal(mail.text, ENGLISH.activation.text);
    assert.equal(mail.html, ENGLISH.activation.html);
    for (const kind of KINDS.filter((k) => k !== 'activation')) assert.deepEqual(await r.render(kind, CTX), ENGLISH[kind]);
  });

  it('applies per language: a German override leaves the other German files and English alone', async (t) => {
    const dir = overrideDir(t, { 'de/confirmation.txt.liquid': 'Willkommen, {{ user.username }}!\n' });
    const de = createEmailRenderer({ templatesDir: dir, language: 'de' });
    assert.deepEqual(await de.render('confirmation', CTX), { ...GERMAN.confirmation, text: 'Willkommen, alice!\n' });
    assert.deepEqual(await de.render('activation', CTX), GERMAN.activation);
    const en = createEmailRenderer({ templatesDir: dir, language: 'en' });
    assert.deepEqual(await en.render('confirmation', CTX), ENGLISH.confirmation);
  });

  it('may bring a language of its own; what it lacks comes from the fallback', async (t) => {
    const dir = overrideDir(t, { 'fr/activation.subject.liquid': 'Activation du compte sur {{ site_name }}\n' });
    const fr = createEmailRenderer({ templatesDir: dir, language: 'fr' });
    assert.equal(fr.language, 'fr');
    assert.deepEqual(await fr.render('activation', CTX), { ...ENGLISH.activation, subject: 'Activation du compte sur Example' });
    assert.deepEqual(await fr.render('confirmation', CTX), ENGLISH.confirmation);
  });

  it("replacing allauth's base message changes every allauth email", async (t) => {
    const dir = overrideDir(t, { 'en/_base_message.txt.liquid': 'Hi!\n\n{% block content %}{% endblock %}\n\n-- {{ site_name }}\n' });
    const r = createEmailRenderer({ templatesDir: dir });
    const mail = await r.render('email_confirmation_signup', CONFIRM);
    assert.equal(mail.text, ['Hi!', '', ...ALLAUTH.en.confirmText.split('\n').slice(2, 5), '', '-- Example <&>'].join('\n'));
    assert.ok((await r.render('password_reset_key', RESET_KEY)).text.startsWith('Hi!\n\n'));
  });

  it('an HTML template adds an HTML part to an allauth email, escaped', async (t) => {
    const dir = overrideDir(t, {
      'en/password_reset_key.html.liquid': '<p>{{ username }}: <a href="{{ password_reset_url | raw }}">reset</a></p>\n',
    });
    const r = createEmailRenderer({ templatesDir: dir });
    const mail = await r.render('password_reset_key', RESET_KEY);
    assert.equal(mail.html, '<p>&lt;b&gt;&amp;x: <a href="https://example.com/reset/1-a&b/">reset</a></p>');
    assert.equal(mail.text, ALLAUTH.en.resetText(true));
  });

  it('mistakes are errors at creation, naming the file', (t) => {
    const missing = path.join(tmpdir(), 'authstream-no-such-templates-dir');
    assert.throws(() => createEmailRenderer({ templatesDir: missing }), /does not exist or is not a directory/);
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'en/activation.subject.liquid': 'Hello {{ site_nmae }}\n' }, /activation\.subject\.liquid: undefined variable: site_nmae/],
      [{ 'en/activation.txt.liquid': '{{ url | no_such_filter }}\n' }, /activation\.txt\.liquid.*undefined filter: no_such_filter/],
      [{ 'en/activation.txt.liquid': '{% if %}\n' }, /activation\.txt\.liquid/],
      [{ 'en/activaton.txt.liquid': 'typo in the name\n' }, /activaton\.txt\.liquid: not a template name/],
      [{ 'activation.txt.liquid': 'not in a language folder\n' }, /templates go in a language folder/],
      [{ 'en/password_reset_key.txt.liquid': '{% layout "_no_such_base.txt.liquid" %}\n' }, /password_reset_key.*_no_such_base/],
    ];
    for (const [files, error] of cases) assert.throws(() => createEmailRenderer({ templatesDir: overrideDir(t, files) }), error);
  });
});

describe("email templates: allauth 0.51's account emails", () => {
  for (const language of ['en', 'de'] as const) {
    const r = createEmailRenderer({ language });
    const expected = ALLAUTH[language];
    it(`${language}: email confirmation and its signup variant (text only, nothing escaped)`, async () => {
      for (const kind of ['email_confirmation', 'email_confirmation_signup'] as const) {
        assert.deepEqual(await r.render(kind, CONFIRM), { subject: expected.confirmSubject, text: expected.confirmText });
      }
    });
    it(`${language}: password reset key, with and without the username line`, async () => {
      assert.deepEqual(await r.render('password_reset_key', RESET_KEY), { subject: expected.resetSubject, text: expected.resetText(true) });
      const { username: _, ...withoutUsername } = RESET_KEY;
      assert.deepEqual(r.renderSync('password_reset_key', withoutUsername), {
        subject: expected.resetSubject,
        text: expected.resetText(false),
      });
    });
  }

  it("ACCOUNT_EMAIL_SUBJECT_PREFIX replaces allauth's [site name] prefix", async () => {
    const r = createEmailRenderer({ allauthSubjectPrefix: '' });
    assert.equal((await r.render('email_confirmation', CONFIRM)).subject, 'Please Confirm Your E-mail Address');
  });
});

describe('email templates: subjects', () => {
  it('are one line whatever the template', async (t) => {
    const dir = overrideDir(t, { 'en/activation.subject.liquid': '\n  Account activation\non {{ site_name }}\r\n\n' });
    assert.equal((await createEmailRenderer({ templatesDir: dir }).render('activation', CTX)).subject, 'Account activation on Example');
  });
});
