// Reads a Django `manage.py dumpdata <user model> authtoken.token` file (JSON array, indented or not, or JSON lines)
// into typed user and token rows for the importer. Every row remembers the line its object starts on, so problems
// read "line N: reason". Bad rows become errors, never exceptions, and never reach `users`/`tokens`; the importer
// decides whether any error aborts the import (a fatal one means the file could not be read to its end).
import { createReadStream } from 'node:fs';
import { DumpScanner } from './scan.js';
import { convert, type DjangoPk, type DjangoTokenRecord, type DjangoUserRecord, type RecordOptions, type UserRef } from './records.js';

export type { DjangoPk, DjangoTokenRecord, DjangoUserRecord } from './records.js';
export { parseDjangoDateTime } from './records.js';

export interface DumpOptions {
  /** The user model's label (settings.AUTH_USER_MODEL), e.g. `accounts.User`; case does not matter. */
  readonly userModel?: string;
  /** The user model's USERNAME_FIELD: `username` for Django's own User, often `email` for custom ones. */
  readonly usernameField?: string;
  /** DRF's token model label. */
  readonly tokenModel?: string;
}

export interface DumpError {
  readonly line: number;
  /** The object's 1-based position in the file; absent for errors about the file itself. */
  readonly index?: number;
  readonly reason: string;
  /** The file could not be read past this point; rows before it are still returned. */
  readonly fatal: boolean;
  readonly model?: string;
  /** The user's pk, when the row had a usable one. Token keys are secrets and never appear in errors. */
  readonly pk?: DjangoPk;
}

export interface DjangoDump {
  readonly format: 'json' | 'jsonl' | null;
  /** In file order. Every token's userPk is the pk of one of these users. */
  readonly users: DjangoUserRecord[];
  readonly tokens: DjangoTokenRecord[];
  /** Ordered by line. */
  readonly errors: DumpError[];
  /** Objects of other models (a fuller dump), counted by label. */
  readonly ignored: Record<string, number>;
}

export const formatDumpError = (error: DumpError): string => `line ${error.line}: ${error.reason}`;

/** Parses a whole dump held in memory. */
export function parseDjangoDump(input: string | Uint8Array, options: DumpOptions = {}): DjangoDump {
  const collector = new Collector(options);
  const scanner = new DumpScanner(collector);
  scanner.push(input);
  scanner.end();
  return collector.finish(scanner.format);
}

/** Parses a dump from any byte stream (a file, stdin), holding only the current chunk and the rows. Rejects only
 * when the stream itself fails. */
export async function parseDjangoDumpStream(source: AsyncIterable<Uint8Array | string>, options: DumpOptions = {}): Promise<DjangoDump> {
  const collector = new Collector(options);
  const scanner = new DumpScanner(collector);
  for await (const chunk of source) scanner.push(chunk);
  scanner.end();
  return collector.finish(scanner.format);
}

/** Parses a dump file in 1 MiB chunks. Rejects only when the file cannot be read (missing, unreadable). */
export const parseDjangoDumpFile = (path: string, options: DumpOptions = {}): Promise<DjangoDump> =>
  parseDjangoDumpStream(createReadStream(path, { highWaterMark: 1 << 20 }), options);

type PendingToken = { token: Omit<DjangoTokenRecord, 'userPk'>; user: UserRef };

// Receives the scanner's objects, keeps the good rows, and checks what needs the whole file: unique pks and logins,
// and tokens pointing at users of the file (which may come after them).
class Collector {
  private readonly users: DjangoUserRecord[] = [];
  private readonly errors: DumpError[] = [];
  private readonly ignored: Record<string, number> = {};
  private readonly pending: PendingToken[] = [];
  private readonly userLine = new Map<string, number>(); // pk key → line of the accepted user
  private readonly rejectedLine = new Map<string, number>(); // pk key → line of a rejected user row
  private readonly pkByLogin = new Map<string, { pk: DjangoPk; line: number }>();
  private readonly options: RecordOptions;

  constructor(options: DumpOptions) {
    this.options = {
      userModel: (options.userModel ?? 'auth.user').toLowerCase(),
      usernameField: options.usernameField ?? 'username',
      tokenModel: (options.tokenModel ?? 'authtoken.token').toLowerCase(),
    };
  }

  object(text: string, line: number, index: number): void {
    const row = convert(text, line, index, this.options);
    if (row.kind === 'other') this.ignored[row.model] = (this.ignored[row.model] ?? 0) + 1;
    else if (row.kind === 'token') this.pending.push(row);
    else if (row.kind === 'user') this.addUser(row.user);
    else {
      const { kind: _, ...error } = row;
      if (error.pk !== undefined && error.model?.toLowerCase() === this.options.userModel) {
        this.rejectedLine.set(pkKey(error.pk), line);
      }
      this.errors.push({ line, index, fatal: false, ...error });
    }
  }

  error(line: number, reason: string, fatal: boolean, index?: number): void {
    this.errors.push({ line, reason, fatal, ...(index !== undefined && { index }) });
  }

  private addUser(user: DjangoUserRecord): void {
    const key = pkKey(user.pk);
    const samePk = this.userLine.get(key);
    const sameLogin = this.pkByLogin.get(user.login);
    if (samePk === undefined && sameLogin === undefined) {
      this.userLine.set(key, user.line);
      this.pkByLogin.set(user.login, { pk: user.pk, line: user.line });
      this.users.push(user);
      return;
    }
    const { line, index, model, pk, login } = user;
    let reason = `duplicate pk ${JSON.stringify(pk)} (first at line ${samePk})`;
    if (samePk === undefined) {
      this.rejectedLine.set(key, line); // its tokens are reported as belonging to a rejected row
      reason = `duplicate ${this.options.usernameField} ${JSON.stringify(login)} (first at line ${sameLogin!.line})`;
    }
    this.errors.push({ line, index, reason, fatal: false, model, pk });
  }

  finish(format: DjangoDump['format']): DjangoDump {
    const tokens: DjangoTokenRecord[] = [];
    const keyLine = new Map<string, number>(); // token key → line
    const tokenLine = new Map<string, number>(); // user pk key → line of that user's token
    for (const { token, user } of this.pending) {
      const userPk = 'pk' in user ? user.pk : this.pkByLogin.get(user.login)?.pk;
      const userKey = userPk === undefined ? undefined : pkKey(userPk);
      let reason: string | null = null;
      if (userKey === undefined || !this.userLine.has(userKey)) {
        const rejected = userKey === undefined ? undefined : this.rejectedLine.get(userKey);
        reason = rejected
          ? `token of ${describe(user)}, whose row was rejected (line ${rejected})`
          : `token of ${describe(user)}, who is not in the file`;
      } else if (keyLine.has(token.key)) {
        reason = `duplicate token key (first at line ${keyLine.get(token.key)})`;
      } else if (tokenLine.has(userKey)) {
        reason = `${describe(user)} already has a token (line ${tokenLine.get(userKey)}); DRF allows one per user`;
      }
      if (reason !== null) {
        this.errors.push({
          line: token.line,
          index: token.index,
          reason,
          fatal: false,
          model: this.options.tokenModel,
        });
        continue;
      }
      keyLine.set(token.key, token.line);
      tokenLine.set(userKey!, token.line);
      tokens.push({ ...token, userPk: userPk! });
    }
    this.errors.sort((a, b) => a.line - b.line || (a.index ?? 0) - (b.index ?? 0));
    return { format, users: this.users, tokens, errors: this.errors, ignored: this.ignored };
  }
}

const describe = (user: UserRef) => `user ${JSON.stringify('pk' in user ? user.pk : [user.login])}`;

// 1 and "1" are different pks (an integer and a string primary key), so keys keep the type.
const pkKey = (pk: DjangoPk) => (typeof pk === 'number' ? `n${pk}` : `s${pk}`);
