// The email templates as the running service uses them (EMAIL_TEMPLATES_DIR, LANGUAGE_CODE): a registration with
// SEND_ACTIVATION_EMAIL, and the subject and text that arrive at the capturing SMTP server.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startTestService, useService, type TestService } from '../support/service.js';
import { startSmtpCapture, type ReceivedMail } from '../support/smtp.js';

const PASSWORD = 'Vq8-lunar-otter-41';

/** The text/plain part of a mail, quoted-printable decoded. */
function textOf(mail: ReceivedMail): string {
  const part = /Content-Type: text\/plain[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)\r?\n--/i.exec(mail.raw);
  if (!part) throw new Error(`no text part:\n${mail.raw}`);
  const bytes = part[1]!.replace(/=\r?\n/g, '').replace(/\r\n/g, '\n');
  return Buffer.from(
    bytes.replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

async function activationMail(svc: TestService, username: string): Promise<ReceivedMail> {
  const email = `${username}@example.com`;
  const created = await svc.call('POST', '/auth/users/', { username, email, password: PASSWORD });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const [mail] = await svc.smtp.waitFor(1, (m) => m.to.includes(email));
  return mail!;
}

describe('EMAIL_TEMPLATES_DIR: a file there replaces the shipped one of the same name', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'authstream-email-templates-'));
  mkdirSync(path.join(dir, 'en'));
  writeFileSync(path.join(dir, 'en', 'activation.subject.liquid'), 'Welcome to {{ site_name }}, {{ user.username }}: one more step\n');
  const svc = useService({ SEND_ACTIVATION_EMAIL: 'true', SITE_NAME: 'Example', EMAIL_TEMPLATES_DIR: dir });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the subject is the override’s; the text is still the shipped English one', async () => {
    const mail = await activationMail(svc, 'overridden');
    assert.equal(mail.subject, 'Welcome to Example, overridden: one more step');
    const text = textOf(mail);
    assert.match(text, /^You're receiving this email because you need to finish activation process on Example\.\n/);
    assert.match(text, /\nThe Example team\n?$/);
  });
});

describe('LANGUAGE_CODE=de: the shipped German templates', () => {
  const svc = useService({ SEND_ACTIVATION_EMAIL: 'true', SITE_NAME: 'Beispiel', LANGUAGE_CODE: 'de' });

  it('subject and text in German', async () => {
    const mail = await activationMail(svc, 'anna');
    assert.equal(mail.subject, 'Aktivierung des Benutzerkontos auf Beispiel');
    const text = textOf(mail);
    assert.match(text, /^Sie erhalten diese E-Mail, da Sie den Aktivierungsprozess auf Beispiel abschließen müssen\.\n/);
    assert.match(text, /\nhttps?:\/\/\S+\/#\/activate\/\S+\/\S+\n/);
    assert.match(text, /Das Team von Beispiel\n?$/);
  });
});

describe('bad email template settings stop the start, naming what is wrong', () => {
  const refused = async (env: Record<string, string>) => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-email-templates-bad-'));
    const smtp = await startSmtpCapture();
    try {
      await assert.rejects(startTestService(env, { dataDir, smtp }), (error: Error) => {
        assert.match(error.message, /EMAIL_TEMPLATES_DIR, LANGUAGE_CODE: /);
        return true;
      });
    } finally {
      await smtp.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  };

  it('a directory that is not there', () => refused({ EMAIL_TEMPLATES_DIR: path.join(tmpdir(), 'authstream-no-such-templates') }));

  it('a file no lookup would read (a typo in its name)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'authstream-email-templates-typo-'));
    try {
      mkdirSync(path.join(dir, 'en'));
      writeFileSync(path.join(dir, 'en', 'activaton.subject.liquid'), 'x');
      await refused({ EMAIL_TEMPLATES_DIR: dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a template with an unknown variable', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'authstream-email-templates-var-'));
    try {
      mkdirSync(path.join(dir, 'de'));
      writeFileSync(path.join(dir, 'de', 'activation.subject.liquid'), 'Hallo {{ benutzer }}');
      await refused({ EMAIL_TEMPLATES_DIR: dir, LANGUAGE_CODE: 'de' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('LANGUAGE_CODE that is not a language code is a configuration error', () => {
    assert.throws(() => loadConfig({ LANGUAGE_CODE: 'deutsch!' }), /LANGUAGE_CODE: must be a language code/);
    assert.equal(loadConfig({}).LANGUAGE_CODE, 'en');
  });
});
