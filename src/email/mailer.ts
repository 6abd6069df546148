// Delivery with nodemailer: SMTP when SMTP_URL is set, otherwise .eml files under DATA_DIR/mail (where the file is
// logged, never the link in it: a link is a credential), so a developer on the embedded default can read every email.
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import type { Logger } from '../log.js';
import type { OutgoingEmail } from './consumer.js';
import { ensurePrivateDir, writePrivateFile } from '../data-dir.js';

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

export function createMailer(options: { smtpUrl?: string | undefined; mailDir: string; from: string; log: Logger }): Mailer {
  const { smtpUrl, mailDir, from, log } = options;
  // Made at the first email (nodemailer takes ~100 ms to load: not at every start). Short timeouts: a hung SMTP
  // server must fail the attempt (and schedule a retry), not hold a delivery for minutes.
  let transport: Promise<Transporter> | null = null;
  const transportOf = () =>
    (transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      smtpUrl
        ? nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 })
        : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }),
    ));
  // The outbox is made once per process: private (its emails hold live links), with a README saying what it is.
  let outboxReady: Promise<void> | null = null;
  const outbox = () =>
    (outboxReady ??= prepareOutbox(mailDir).catch((error: unknown) => {
      outboxReady = null;
      throw error;
    }));
  return {
    async send(email) {
      const info = await (
        await transportOf()
      ).sendMail({
        from,
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: `<${email.eventId}@authstream>`,
      });
      if (smtpUrl) return;
      await outbox();
      const file = path.join(mailDir, `${new Date().toISOString().replaceAll(':', '-')}-${email.kind}-${email.eventId}.eml`);
      await writePrivateFile(file, (info as unknown as { message: Buffer }).message);
      log.info(`email written to ${file}`, { kind: email.kind, eventId: email.eventId, file });
    },
    close: () => void transport?.then((t) => t.close()),
  };
}

const OUTBOX_README = `This is authstream's development outbox.

SMTP_URL is not set, so every email the service would send is written here as an .eml file instead of being sent.
The emails hold working activation and password-reset links: keep this folder private (it is 0700, its files 0600)
and never use it in production. Set SMTP_URL there; then nothing is written here.
`;

/** The outbox directory (0700) and its README.txt (0600), written once: an existing one is kept. */
async function prepareOutbox(mailDir: string): Promise<void> {
  await ensurePrivateDir(mailDir);
  try {
    await writePrivateFile(path.join(mailDir, 'README.txt'), OUTBOX_README, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * Whether retrying cannot help: the server answered 5xx (e.g. 550 no such mailbox) or refused every recipient.
 * Temporary failures (4xx, connection refused, timeouts) are worth retrying.
 */
export function isPermanentSmtpError(error: unknown): boolean {
  const e = error as { responseCode?: unknown; code?: unknown } | null;
  if (typeof e?.responseCode === 'number') return e.responseCode >= 500 && e.responseCode < 600;
  return e?.code === 'EENVELOPE';
}
