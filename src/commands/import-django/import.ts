// Importing a Django dump (`authstream import-django`): per user, the events that recreate it — id, login name,
// names, flags, dates and the password hash as Django stored it (verified natively and rehashed to argon2id at the
// next login) — and its DRF token, sealed so a login can hand out the same key. Rows are checked in full before
// anything is written; a user's names are claimed, then its events appended in one append expecting no stream, so a
// user is imported whole or not at all, and importing twice imports nothing new.
import { namingKey } from '../../erasure/data-key.js';
import { hashTokenKey } from '../../crypto/auth-tokens.js';
import { identifyDjangoHash } from '../../crypto/django-hashers.js';
import { seal } from '../../crypto/sealed.js';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.js';
import type { EventStore } from '../../store/port.js';
import { userModel, type UserModel } from '../../user-model.js';
import { accountHandler, accounts as accountsOf, type Accounts } from '../accounts.js';
import { reservations as reservationsOf } from '../reservations.js';
import { mailboxes as mailboxesOf, type Mailboxes } from '../mailbox.js';
import { noStateCache } from '../state-cache.js';
import type { EventMetadata } from '../command-handler.js';
import { isDomainError, type ReservedKind } from '../decider.js';
import { emailKey, usernameKey, usernameSkeleton } from '../normalize.js';
import type { Reservations } from '../reservations.js';
import { formatDumpError, type DjangoDump, type DjangoTokenRecord, type DjangoUserRecord } from './dump.js';

export interface ImportDeps {
  readonly model: UserModel;
  /** Unique emails are claimed like usernames. */
  readonly emailUnique: boolean;
  /** Runs a command without waiting for the read model (the import waits once, at the end). */
  readonly accounts: Accounts;
  readonly reservations: Reservations;
  readonly mailboxes: Mailboxes;
  readonly secretKey: string;
  readonly now: () => Date;
}

/** What an import needs, over an event store it writes to directly (no read model: it waits for none). */
export function importDeps(input: { config: Config; store: EventStore; secretKey: string; now?: () => Date }): ImportDeps {
  const now = input.now ?? (() => new Date());
  // Each account is read once: no folded-state cache.
  const accounts = accountsOf(accountHandler(input.store, noStateCache(), randomUUID), async () => {});
  return {
    model: userModel(input.config),
    emailUnique: input.config.EMAIL_UNIQUE,
    accounts,
    reservations: reservationsOf({
      store: input.store,
      accounts,
      namingKey: namingKey(input.config, input.secretKey),
      newEventId: randomUUID,
      now,
    }),
    mailboxes: mailboxesOf({
      store: input.store,
      namingKey: namingKey(input.config, input.secretKey),
      window: input.config.EMAIL_REQUEST_WINDOW,
      now,
      loadAccount: accounts.load,
    }),
    secretKey: input.secretKey,
    now,
  };
}

export interface ImportReport {
  readonly imported: number;
  /** Already imported (or an account with that id exists). */
  readonly skipped: number;
  readonly failed: number;
  /** `line N: reason` for each row not imported (the dump's own errors included). */
  readonly problems: readonly string[];
}

export interface ImportOptions {
  /** Users imported at once (appends then share the embedded log's group commits). */
  readonly concurrency?: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly metadata?: EventMetadata;
}

type Outcome = { kind: 'imported' } | { kind: 'skipped' } | { kind: 'failed'; reason: string };

const ID = /^[1-9][0-9]{0,17}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Why a row cannot be imported as it is, or null. */
function problemOf(user: DjangoUserRecord, deps: ImportDeps): string | null {
  const id = String(user.pk).toLowerCase();
  if (!ID.test(id)) return `id ${JSON.stringify(String(user.pk))} is neither a positive integer nor a UUID`;
  if (user.login.trim() === '') return `empty ${deps.model.usernameField}`;
  if (user.dateJoined === null) return 'no date_joined';
  const unusable = user.password === '' || user.password.startsWith('!');
  if (!unusable && identifyDjangoHash(user.password) === null) return 'password hashed by a hasher authstream does not verify';
  return null;
}

export async function importDjango(deps: ImportDeps, dump: DjangoDump, options: ImportOptions = {}): Promise<ImportReport> {
  const { model, accounts, reservations } = deps;
  const tokens = new Map<string, DjangoTokenRecord>(dump.tokens.map((t) => [String(t.userPk), t]));
  const problems: string[] = dump.errors.map(formatDumpError);
  const counts = { imported: 0, skipped: 0, failed: dump.errors.filter((e) => !e.fatal).length };

  async function importOne(user: DjangoUserRecord): Promise<Outcome> {
    const problem = problemOf(user, deps);
    if (problem) return { kind: 'failed', reason: problem };
    const userId = String(user.pk).toLowerCase();
    const emailModel = model.usernameField === 'email';
    const username = emailModel ? '' : user.login;
    const email = emailModel ? user.login : user.email;
    const claims: [ReservedKind, string][] = [
      ...(emailModel ? [] : [['username', usernameKey(username)] as [ReservedKind, string]]),
      ...((deps.emailUnique || emailModel) && emailKey(email) !== '' ? [['email', emailKey(email)] as [ReservedKind, string]] : []),
    ];
    // Django let look-alike usernames coexist; an imported one keeps its name, and only holds the skeleton if free
    // (new look-alikes of it are then refused; if another holds it, this one is not refused for it).
    const skeleton = emailModel ? null : (['username_skeleton', usernameSkeleton(username)] as [ReservedKind, string]);
    const existing = await accounts.load(userId);
    if (existing.status !== 'none') return { kind: 'skipped' };
    const token = tokens.get(String(user.pk));
    const profile = Object.fromEntries(model.customFields.map((f) => [f.name, user.extra[f.name] ?? '']).filter(([, v]) => v !== ''));
    let imported = false;
    try {
      for (const [field, key] of claims) await reservations.claim(field, key, userId);
      await deps.mailboxes.recordHolder(email, userId, options.metadata);
      if (skeleton)
        await reservations.claim(...skeleton, userId).catch((error: unknown) => {
          if (!isDomainError(error, 'taken')) throw error;
        });
      await accounts.execute(
        userId,
        {
          type: 'ImportUser',
          userId,
          username,
          email,
          firstName: user.firstName,
          lastName: user.lastName,
          profile,
          passwordHash: user.password === '' || user.password.startsWith('!') ? null : user.password,
          isActive: user.isActive,
          isStaff: user.isStaff,
          isSuperuser: user.isSuperuser,
          dateJoined: user.dateJoined!,
          lastLogin: user.lastLogin,
          ...(token
            ? { token: { keyHash: hashTokenKey(token.key), sealedKey: seal(deps.secretKey, token.key), created: token.created } }
            : {}),
          now: deps.now(),
        },
        options.metadata,
      );
      imported = true;
      return { kind: 'imported' };
    } catch (error) {
      if (isDomainError(error, 'already_exists')) return { kind: 'skipped' };
      if (isDomainError(error, 'taken'))
        return { kind: 'failed', reason: `${error.details.fields?.join(', ')} already belongs to another account` };
      throw error;
    } finally {
      // An imported account holds every value it claimed (release() would keep them all: four reads for nothing);
      // a user not imported gives back what it claimed.
      if (!imported) for (const [field, key] of skeleton ? [...claims, skeleton] : claims) await reservations.release(field, key, userId);
    }
  }

  // Users imported at once race for their names; names that are one to authstream (case, NFKC) but not to Django
  // are settled here in file order, so the first one wins whatever the concurrency.
  const firstLineOf = new Map<string, number>();
  const queue: DjangoUserRecord[] = [];
  for (const user of dump.users) {
    const key = `${model.usernameField}:${model.usernameField === 'email' ? emailKey(user.login) : usernameKey(user.login)}`;
    const first = firstLineOf.get(key);
    if (first === undefined) {
      firstLineOf.set(key, user.line);
      queue.push(user);
    } else {
      counts.failed++;
      problems.push(
        `line ${user.line}: user ${String(user.pk)}: the same ${model.usernameField} as line ${first} to authstream (case-insensitive)`,
      );
    }
  }
  const total = dump.users.length;
  let done = total - queue.length;
  let next = 0;
  const worker = async () => {
    // An index, not queue.shift(): shifting a large array is quadratic (seconds of CPU for 100k users).
    for (let user = queue[next++]; user; user = queue[next++]) {
      const outcome = await importOne(user);
      if (outcome.kind === 'failed') {
        counts.failed++;
        problems.push(`line ${user.line}: user ${String(user.pk)}: ${outcome.reason}`);
      } else counts[outcome.kind]++;
      options.onProgress?.(++done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 32) }, worker));
  return { ...counts, problems };
}
