// `authstream audit` as a child process against the DATA_DIR of a running service (embedded default): by id,
// username and email through indexes, --all, filters, the three formats, unknown logins — and strictly read-only:
// every file under DATA_DIR is byte-identical, with the same mtime, after the runs.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { startTestService, type TestService } from '../support/service.js';
import { recordUnknownLogin } from '../../src/commands/lookups.js';
import { cli, ndjson, type CliResult } from './run.js';

/** Every file and directory under `dir`: size, sha256 and mtime. */
async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      const s = await stat(p);
      if (entry.isDirectory()) {
        out[`${p}/`] = `${s.mtimeMs}`;
        await walk(p);
      } else {
        out[p] = `${s.size} ${s.mtimeMs} ${createHash('sha256')
          .update(await readFile(p))
          .digest('hex')}`;
      }
    }
  };
  await walk(dir);
  return out;
}

const SECRETS = /passwordHash|tokenId|keyHash|refreshJti|sealedKey|argon2|\$pbkdf2/;

describe('authstream audit beside a running service', () => {
  let service: TestService;
  let env: Record<string, string>;
  let id: string;
  let other: string;
  let erased: string;
  const password = 'Audit-secret-pw-1';
  before(async () => {
    service = await startTestService();
    env = { DATA_DIR: service.dataDir };
    const headers = { 'User-Agent': 'audit-test/1.0', 'X-Request-Id': 'audit-req-0001' };
    const created = await service.call('POST', '/auth/users/', { username: 'audited', email: 'Audited@Example.com', password }, headers);
    assert.equal(created.status, 201);
    id = String(created.body.id);
    const token = (await service.call('POST', '/auth/token/login/', { username: 'audited', password }, headers)).body.auth_token as string;
    const auth = { Authorization: `Token ${token}`, ...headers };
    assert.equal(
      (await service.call('POST', '/auth/users/set_username/', { current_password: password, new_username: 'renamed' }, auth)).status,
      204,
    );
    // Someone else.
    other = String(
      (await service.call('POST', '/auth/users/', { username: 'bystander', email: 'bystander@example.com', password })).body.id,
    );
    // And someone who left: deleting the account erases its personal data (its key is destroyed).
    erased = String((await service.call('POST', '/auth/users/', { username: 'leaver', email: 'leaver@example.com', password })).body.id);
    const leaverToken = (await service.call('POST', '/auth/token/login/', { username: 'leaver', password })).body.auth_token as string;
    const deleted = await service.call(
      'DELETE',
      '/auth/users/me/',
      { current_password: password },
      { Authorization: `Token ${leaverToken}` },
    );
    assert.equal(deleted.status, 204);
    // The lead's login path will record these; until then the test appends them as it will.
    const key = (await readFile(path.join(service.dataDir, 'secret_key'), 'utf8')).trim();
    for (const login of ['ghost', 'Ghost', 'someone@example.com'])
      await recordUnknownLogin(service.store, key, { login, field: 'username', method: 'token' }, new Date(), randomUUID, {
        correlationId: 'audit-req-0002',
        actor: 'anonymous',
        ip: '203.0.113.9',
        userAgent: '=cmd|evil',
      });
  });
  after(() => service.dispose());

  it('finds the account by id, by a name it held, by its new name and by its email, each through an index', async () => {
    const runs = await Promise.all(
      [id, 'audited', 'RENAMED', 'audited@example.com'].map((who) => cli(['audit', who, '--json', '-v'], env)),
    );
    const [byId, ...rest] = runs as [CliResult, ...CliResult[]];
    assert.equal(byId.code, 0, byId.stderr);
    const lines = ndjson(byId.stdout);
    assert.equal(lines[0].type, 'UserRegistered');
    assert.equal(lines.at(-1).type, 'UsernameChanged');
    assert.ok(lines.some((l) => l.type === 'AuthTokenCreated'));
    for (const run of rest) {
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, byId.stdout);
    }
    assert.match(byId.stderr, /lookup id \(user-[^)]+\): 1 account/);
    assert.match(rest[0]!.stderr, /lookup username-reservation \(reservation-username-[0-9a-f]{40}\): 1 account/);
    assert.match(rest[2]!.stderr, /lookup email-mailbox \(mailbox-[0-9a-f]{40}\): 1 account/);
    assert.doesNotMatch(rest[2]!.stderr, /email-scan/, 'no scan when the mailbox index knows the address');
  });

  it('prints each event with its position, time, public data and metadata, never a secret', async () => {
    const { stdout } = await cli(['audit', id, '--json'], env);
    const lines = ndjson(stdout);
    assert.deepEqual(Object.keys(lines[0]), ['userId', 'revision', 'position', 'recorded', 'eventId', 'type', 'data', 'metadata']);
    assert.deepEqual(
      lines.map((l) => l.revision),
      lines.map((_, i) => i),
    );
    const registered = lines[0];
    assert.equal(registered.type, 'UserRegistered');
    assert.equal(registered.data.username, 'audited');
    assert.equal(registered.metadata.correlationId, 'audit-req-0001');
    assert.equal(registered.metadata.actor, 'anonymous');
    assert.equal(registered.metadata.userAgent, 'audit-test/1.0');
    assert.equal(registered.metadata.schemaVersion, 2);
    assert.equal(typeof registered.metadata.ip, 'string');
    const renamed = lines.find((l) => l.type === 'UsernameChanged');
    assert.equal(renamed.metadata.actor, `user:${id}`);
    assert.ok(lines.every((l) => /^\d+$/.test(l.position) && !Number.isNaN(Date.parse(l.recorded))));
    assert.doesNotMatch(stdout, SECRETS);
  });

  it('an erased account: its history stays, its personal fields read "[erased]", nothing sealed is printed', async () => {
    const { code, stdout, stderr } = await cli(['audit', erased, '--json'], env);
    assert.equal(code, 0, stderr);
    const lines = ndjson(stdout);
    assert.equal(lines[0].type, 'UserRegistered');
    assert.equal(lines[0].data.username, '[erased]');
    assert.equal(lines[0].data.email, '[erased]');
    assert.ok(lines.some((l) => l.type === 'UserDeleted'));
    assert.doesNotMatch(stdout, /enc:v1:|leaver/);
    assert.doesNotMatch(stdout, SECRETS);
  });

  it('filters by type (name or routing key) and by time (ISO or relative)', async () => {
    const [types, future, past, until] = await Promise.all([
      cli(['audit', id, '--json', '--type', 'user.registered', '--type', 'UsernameChanged'], env),
      cli(['audit', id, '--json', '--since', '2099-01-01'], env),
      cli(['audit', id, '--json', '--since', '1h'], env),
      cli(['audit', id, '--json', '--until', '2000-01-01T00:00:00Z'], env),
    ]);
    assert.deepEqual(
      ndjson(types.stdout).map((l) => l.type),
      ['UserRegistered', 'UsernameChanged'],
    );
    assert.equal(future.code, 0);
    assert.equal(future.stdout, '');
    assert.ok(ndjson(past.stdout).length >= 3);
    assert.equal(until.stdout, '');
    const bad = await cli(['audit', id, '--since', 'yesterday'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /neither an ISO date .* nor an age/);
    const badType = await cli(['audit', id, '--type', 'user.teleported'], env);
    assert.equal(badType.code, 2);
  });

  it('--all streams every account’s events in log order with the same filters', async () => {
    const { code, stdout } = await cli(['audit', '--all', '--json', '--type', 'UserRegistered'], env);
    assert.equal(code, 0);
    const lines = ndjson(stdout);
    assert.deepEqual(
      lines.map((l) => l.userId),
      [id, other, erased],
    );
    assert.doesNotMatch(stdout, SECRETS);
  });

  it('CSV (RFC 4180, formula cells neutralised) and a table', async () => {
    const csv = await cli(['audit', id, '--csv'], env);
    assert.equal(csv.code, 0, csv.stderr);
    const records = csv.stdout.split('\r\n');
    assert.equal(records.at(-1), '');
    assert.equal(records[0], 'recorded,account,revision,position,event_id,type,actor,ip,user_agent,correlation_id,schema_version,data');
    assert.match(
      records[1]!,
      new RegExp(`^[^,]+,${id},0,\\d+,[0-9a-f-]{36},UserRegistered,anonymous,[^,]*,audit-test/1\\.0,audit-req-0001,2,"\\{""v"":2,`),
    );
    assert.doesNotMatch(csv.stdout, SECRETS);
    const table = await cli(['audit', 'renamed', '--table'], env);
    assert.equal(table.code, 0, table.stderr);
    const [header, ...rows] = table.stdout.trim().split('\n');
    assert.match(header!, /^TIME\s+ACCOUNT\s+TYPE\s+ACTOR\s+IP\s+SUMMARY$/);
    assert.match(
      rows.find((r) => r.includes('UsernameChanged'))!,
      new RegExp(`user:${id}.*username=renamed reason=set`),
    );
    assert.equal((await cli(['audit', id, '--csv', '--json'], env)).code, 2);
  });

  it('--unknown-logins lists failed logins of unknown names: a keyed hash and a length, never the name', async () => {
    const all = await cli(['audit', '--unknown-logins', '--json', '--since', '1d'], env);
    assert.equal(all.code, 0, all.stderr);
    const lines = ndjson(all.stdout);
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => l.type === 'LoginFailedUnknownAccount' && /^audit-unknown-logins-\d{4}-\d{2}-\d{2}$/.test(l.stream)));
    assert.deepEqual(Object.keys(lines[0].data).sort(), ['at', 'field', 'length', 'login', 'method', 'v']);
    assert.equal(lines[0].data.login, lines[1].data.login, 'ghost and Ghost are one name');
    assert.deepEqual(
      lines.map((l) => l.data.length),
      [5, 5, 19],
    );
    assert.equal(lines[0].metadata.ip, '203.0.113.9');
    assert.doesNotMatch(all.stdout, /ghost|someone/i);
    const one = await cli(['audit', '--unknown-logins', '--login', 'GHOST', '--json'], env);
    assert.equal(ndjson(one.stdout).length, 2);
    const csv = await cli(['audit', '--unknown-logins', '--csv'], env);
    assert.match(csv.stdout, /,'=cmd\|evil,/, 'a formula cell is neutralised');
    const none = await cli(['audit', '--unknown-logins', '--json', '--until', '2000-01-02', '--since', '2000-01-01'], env);
    assert.equal(none.code, 0);
    assert.equal(none.stdout, '');
  });

  it('no account: exit 1; no or two modes: exit 2; --help', async () => {
    const nobody = await cli(['audit', 'nobody@example.com', '--no-scan', '-v'], env);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /no account found for nobody@example\.com/);
    assert.match(nobody.stderr, /email-scan: 0 accounts; not scanned \(--no-scan\)/);
    assert.equal((await cli(['audit'], env)).code, 2);
    assert.equal((await cli(['audit', id, '--all'], env)).code, 2);
    const help = await cli(['audit', '--help'], env);
    assert.equal(help.code, 0);
    for (const option of ['--all', '--unknown-logins', '--since', '--until', '--type', '--json', '--csv', '--table', '--verbose'])
      assert.ok(help.stdout.includes(option), option);
  });

  it('is strictly read-only: every file under DATA_DIR is byte-identical with the same mtime afterwards', async () => {
    // The service idles: let anything it was still writing settle, then make sure the tree holds still.
    let before = await snapshotTree(service.dataDir);
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const again = await snapshotTree(service.dataDir);
      if (JSON.stringify(again) === JSON.stringify(before)) break;
      before = again;
    }
    const runs = await Promise.all([
      cli(['audit', id, '--json'], env),
      cli(['audit', 'audited@example.com', '--scan', '--csv'], env),
      cli(['audit', '--all', '--table'], env),
      cli(['audit', '--unknown-logins', '--login', 'ghost'], env),
      cli(['audit', 'nobody'], env),
    ]);
    assert.deepEqual(
      runs.map((r) => r.code),
      [0, 0, 0, 0, 1],
    );
    assert.deepEqual(await snapshotTree(service.dataDir), before);
    // And the service still serves.
    assert.equal((await service.call('POST', '/auth/token/login/', { username: 'renamed', password })).status, 200);
  });
});
