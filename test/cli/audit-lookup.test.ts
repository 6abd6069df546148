// How `authstream audit` finds accounts (which index answers, when it scans) and how it prints, over a log written
// here through the store's public API; and an event it cannot read: named on stderr, never its data, exit 1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openEmbeddedEventStore } from '../../src/store/embedded.js';
import type { EventStore } from '../../src/store/port.js';
import { userEvent, userStream } from '../../src/events/user.events.js';
import { legacyReservationStream, reservationEvent, reservationStream } from '../../src/events/reservation.events.js';
import { mailboxEvent } from '../../src/events/mailbox.events.js';
import { emailHoldersStream } from '../../src/events/lookup.events.js';
import { emailKey } from '../../src/commands/normalize.js';
import { auditTrails, findAccounts, parseWhen, type AuditLine } from '../../src/cli/audit.js';
import { createSink, csvField, jsonLine, auditLayout } from '../../src/cli/audit-format.js';
import { cli } from './run.js';

const KEY = 'k'.repeat(48);
const now = () => new Date().toISOString();

async function register(store: EventStore, username: string, email: string, options: { mailbox?: boolean; reserveEmail?: boolean } = {}) {
  const id = randomUUID();
  const append = (stream: string, type: string, data: Record<string, unknown>) =>
    store.append(stream, [{ id: randomUUID(), type, data, metadata: { actor: 'anonymous', schemaVersion: data.v } }], 'any');
  const reserved = reservationEvent('NameReserved', { userId: id, at: now() });
  await append(reservationStream(KEY, 'username', username), reserved.type, reserved.data);
  if (options.reserveEmail) await append(legacyReservationStream('email', emailKey(email)), reserved.type, reserved.data);
  if (options.mailbox) {
    const held = mailboxEvent('MailboxHeld', { userId: id, at: now() });
    await append(emailHoldersStream(KEY, emailKey(email)), held.type, held.data as Record<string, unknown>);
  }
  const registered = userEvent('UserRegistered', {
    userId: id,
    username,
    email,
    firstName: '',
    lastName: '',
    profile: {},
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA',
    isActive: true,
    isStaff: false,
    isSuperuser: false,
    at: now(),
  });
  await append(userStream(id), registered.type, registered.data);
  return id;
}

describe('audit: finding accounts', () => {
  let dir: string;
  let store: EventStore;
  const ids: Record<string, string> = {};
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'authstream-audit-'));
    store = await openEmbeddedEventStore(path.join(dir, 'events'));
    ids.indexed = await register(store, 'indexed', 'Indexed@Example.com', { mailbox: true });
    ids.unique = await register(store, 'unique', 'unique@example.com', { reserveEmail: true });
    ids.old = await register(store, 'old', 'old@example.com');
    // Two accounts that held one name: the first renamed away, the second took it.
    ids.first = await register(store, 'shared', 'first@example.com');
    const renamed = userEvent('UsernameChanged', { userId: ids.first, username: 'moved', reason: 'set', at: now() });
    await store.append(userStream(ids.first), [{ id: randomUUID(), type: renamed.type, data: renamed.data }], 'any');
    const released = reservationEvent('NameReleased', { userId: ids.first, at: now() });
    await store.append(
      reservationStream(KEY, 'username', 'shared'),
      [{ id: randomUUID(), type: released.type, data: released.data }],
      'any',
    );
    ids.second = await register(store, 'shared', 'second@example.com');
    ids.numeric = await register(store, '12345', 'digits@example.com');
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('an email through its mailbox stream, then its reservation, and only then a scan', async () => {
    const indexed = await findAccounts(store, 'indexed@EXAMPLE.com', { mailboxKey: KEY });
    assert.deepEqual(indexed.ids, [ids.indexed]);
    assert.deepEqual(
      indexed.steps.map((s) => [s.path, s.found]),
      [
        ['username-reservation', 0],
        ['username-reservation', 0],
        ['email-mailbox', 1],
        ['email-reservation', 0],
        ['email-reservation', 0],
      ],
    );
    const unique = await findAccounts(store, 'unique@example.com', { mailboxKey: KEY });
    assert.deepEqual(unique.ids, [ids.unique]);
    assert.ok(!unique.steps.some((s) => s.path === 'email-scan'));
    const old = await findAccounts(store, 'OLD@example.com', { mailboxKey: KEY });
    assert.deepEqual(old.ids, [ids.old]);
    assert.deepEqual(old.steps.at(-1), { path: 'email-scan', note: 'read the whole log', found: 1 });
    const never = await findAccounts(store, 'old@example.com', { mailboxKey: KEY, scan: 'never' });
    assert.deepEqual(never.ids, []);
    // Without the key the mailbox cannot be named: the scan still finds it, and says why it ran.
    const keyless = await findAccounts(store, 'indexed@example.com');
    assert.deepEqual(keyless.ids, [ids.indexed]);
    assert.match(keyless.steps.find((s) => s.path === 'email-mailbox')!.note!, /no SECRET_KEY/);
  });

  it('a name through its reservation stream: every account that ever held it, merged in log order', async () => {
    const shared = await findAccounts(store, 'Shared', { mailboxKey: KEY });
    assert.deepEqual(shared.ids, [ids.first, ids.second]);
    const lines: AuditLine[] = [];
    for await (const line of auditTrails(store, shared.ids)) lines.push(line);
    assert.deepEqual(
      lines.map((l) => [l.userId, l.type]),
      [
        [ids.first, 'UserRegistered'],
        [ids.first, 'UsernameChanged'],
        [ids.second, 'UserRegistered'],
      ],
    );
    assert.ok(lines.every((l, i) => i === 0 || BigInt(l.position) > BigInt(lines[i - 1]!.position)));
    assert.doesNotMatch(JSON.stringify(lines), /argon2|passwordHash/);
  });

  it('a decimal is an id and may be a username too; a UUID is an id only', async () => {
    assert.deepEqual((await findAccounts(store, '12345', { mailboxKey: KEY })).ids, [ids.numeric]);
    assert.deepEqual((await findAccounts(store, ids.old!.toUpperCase())).ids, [ids.old]);
    assert.deepEqual((await findAccounts(store, randomUUID())).ids, []);
  });
});

describe('audit: an event it cannot read', () => {
  let dataDir: string;
  let id: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-audit-'));
    const store = await openEmbeddedEventStore(path.join(dataDir, 'events'));
    id = await register(store, 'reader', 'reader@example.com');
    await store.append(
      userStream(id),
      [{ id: randomUUID(), type: 'UserTeleported', data: { v: 1, userId: id, planet: 'Mars-secret' } }],
      'any',
    );
    await store.close();
    await writeFile(path.join(dataDir, 'secret_key'), `${KEY}\n`);
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  it('prints the rest, names it on stderr (position, stream, type, never the data) and exits 1', async () => {
    const { code, stdout, stderr } = await cli(['audit', 'reader', '--json'], { DATA_DIR: dataDir });
    assert.equal(code, 1);
    assert.equal(stdout.trim().split('\n').length, 1);
    assert.match(
      stderr,
      new RegExp(`cannot read event [0-9a-f-]{36} \\(UserTeleported\\) at position \\d+ in user-${id}: unknown user event type`),
    );
    assert.match(stderr, /1 event could not be read/);
    assert.doesNotMatch(stdout + stderr, /Mars-secret/);
  });
});

describe('audit: formats and times', () => {
  it('CSV fields: RFC 4180 quoting, spreadsheet formulas neutralised', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('=1+1'), "'=1+1");
    assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvField('-2,3'), `"'-2,3"`);
  });

  it('JSON lines escape DEL and C1 controls; a table escapes every control character', () => {
    assert.equal(jsonLine({ ua: 'x\u009b2Jy\u007f' }), '{"ua":"x\\u009b2Jy\\u007f"}');
    const out: string[] = [];
    const sink = createSink('table', auditLayout, (l) => out.push(l));
    sink.write({
      userId: '1',
      revision: 0,
      position: '1',
      recorded: '2026-12-01T00:00:00.000Z',
      eventId: 'e',
      type: 'UserLoggedIn',
      data: { v: 1, userId: '1', at: 'x' },
      metadata: { actor: 'user:1', ip: '\u001b[31mred' },
    });
    sink.end();
    assert.equal(out.length, 2);
    assert.ok(!out.join('').includes('\u001b'));
    assert.match(out[1]!, /\\u001b\[31mred/);
  });

  it('--since/--until: ISO dates and times, or an age', () => {
    const at = new Date('2026-12-01T12:00:00Z');
    assert.equal(parseWhen('7d', at)!.toISOString(), '2026-11-24T12:00:00.000Z');
    assert.equal(parseWhen('90s', at)!.toISOString(), '2026-12-01T11:58:30.000Z');
    assert.equal(parseWhen('2w', at)!.toISOString(), '2026-11-17T12:00:00.000Z');
    assert.equal(parseWhen('2026-11-30')!.toISOString(), '2026-11-30T00:00:00.000Z');
    assert.equal(parseWhen('2026-11-30T10:00:00+02:00')!.toISOString(), '2026-11-30T08:00:00.000Z');
    for (const bad of ['yesterday', '7 days', '2026-13-45', '1y', '']) assert.equal(parseWhen(bad, at), undefined, bad);
  });
});
