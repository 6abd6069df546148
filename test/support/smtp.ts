// A real SMTP server, in-process, that keeps what it receives: tests assert on the emails that actually arrive.
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

export interface ReceivedMail {
  readonly to: string[];
  readonly raw: string;
  readonly subject: string;
  readonly messageId: string;
}

export interface SmtpCapture {
  readonly url: string;
  readonly mails: ReceivedMail[];
  /** While true, every message is refused with a temporary (451) error. */
  refusing: boolean;
  /** Messages refused so far (while `refusing`). */
  refusals: number;
  /** Resolves once `count` mails matching `filter` have arrived. */
  waitFor(count: number, filter?: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

const header = (raw: string, name: string) =>
  new RegExp(`^${name}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, 'im')
    .exec(raw)?.[1]
    ?.replace(/\r?\n[ \t]/g, ' ')
    .trim() ?? '';

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const capture: SmtpCapture = {
    url: '',
    mails: [],
    refusing: false,
    refusals: 0,
    async waitFor(count, filter = () => true, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = capture.mails.filter(filter);
        if (found.length >= count) return found;
        if (Date.now() > deadline) throw new Error(`expected ${count} mails, got ${found.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (capture.refusing) {
          capture.refusals++;
          return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        capture.mails.push({
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          subject: header(raw, 'Subject'),
          messageId: header(raw, 'Message-ID'),
        });
        callback();
      });
    },
  });
  // smtp-server emits a client's connection errors on the server: a service killed mid-send (the fault tests) resets
  // its connection, which is no failure of the capture.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return Object.assign(capture, { url: `smtp://127.0.0.1:${port}` });
}

/** The first link in a mail's text part (nodemailer may wrap long lines with quoted-printable soft breaks). */
export function linkIn(mail: ReceivedMail): string {
  const text = mail.raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  const match = /https?:\/\/\S+/.exec(text);
  if (!match) throw new Error(`no link in mail: ${mail.subject}`);
  return match[0];
}

/** uid and token from a link built from '#/activate/{uid}/{token}'-style templates. */
export function uidAndToken(link: string): { uid: string; token: string } {
  const parts = link.split('/');
  return { uid: parts.at(-2)!, token: parts.at(-1)! };
}
