// `authstream import-django` as an operator runs it: the CLI as a child process (through tsx) on a temp DATA_DIR,
// with the Django-made dumps of test/fixtures/django; then the service started on that DATA_DIR serves the users.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestService, type TestService } from '../support/service.js';
import { cli, cliMany } from './run.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/django');
const DEFAULT = path.join(FIXTURES, 'default.json');
const passwords = JSON.parse(await readFile(path.join(FIXTURES, 'passwords.json'), 'utf8')) as Record<string, Record<string, string>>;

describe('authstream import-django', () => {
  let dataDir: string;
  let scratch: string;
  let svc: TestService | undefined;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'authstream-cli-import-'));
    scratch = await mkdtemp(path.join(tmpdir(), 'authstream-cli-import-files-'));
  });
  after(async () => {
    await svc?.dispose(); // removes dataDir
    await rm(dataDir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('imports a dump into DATA_DIR: the summary on stdout, exit 0', async () => {
    const { code, stdout, stderr } = await cli(['import-django', DEFAULT], { DATA_DIR: dataDir });
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'imported 11, skipped 0, failed 0\n');
    assert.match(stderr, /the events record actor cli:import-django and correlation id [0-9a-f-]{36}/);
    assert.ok(existsSync(path.join(dataDir, 'events', 'events.log')));
  });

  it('run again (here from the JSON lines dump of the same database): nothing new, exit 0', async () => {
    const { code, stdout, stderr } = await cli(['import-django', path.join(FIXTURES, 'default.jsonl')], { DATA_DIR: dataDir });
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'imported 0, skipped 11, failed 0\nnothing new to import: every user in the file is already imported\n');
  });

  it('a bad row: "line N: reason" on stderr, the other rows imported, exit 1', async () => {
    const lines = (await readFile(path.join(FIXTURES, 'default.jsonl'), 'utf8')).trimEnd().split('\n');
    const row = (pk: number, username: string, password: string) =>
      JSON.stringify({
        model: 'auth.user',
        pk,
        fields: { ...(JSON.parse(lines[0]!) as { fields: object }).fields, username, email: `${username}@example.com`, password },
      });
    const file = path.join(scratch, 'bad.jsonl');
    // Lines 19 and 20: a hash no hasher of authstream verifies, and a new user that is fine.
    await writeFile(
      file,
      [...lines, row(90, 'mallory', 'unknown_hasher$1$abc$def'), row(91, 'oscar', lines[0]!.match(/"(pbkdf2[^"]*)"/)![1]!)].join('\n') +
        '\n',
    );
    const { code, stdout, stderr } = await cli(['import-django', file], { DATA_DIR: dataDir });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^line 19: user 90: password hashed by a hasher authstream does not verify$/m);
    assert.equal(stdout, 'imported 1, skipped 11, failed 1\n');
  });

  it('a file cut off before its end imports nothing (its tokens would be lost), exit 1', async () => {
    const text = await readFile(DEFAULT, 'utf8');
    const file = path.join(scratch, 'cut.json');
    await writeFile(file, text.slice(0, Math.floor(text.length * 0.6)));
    const other = await mkdtemp(path.join(tmpdir(), 'authstream-cli-import-cut-'));
    try {
      const { code, stdout, stderr } = await cli(['import-django', file], { DATA_DIR: other });
      assert.equal(code, 1, stderr);
      assert.equal(stdout, '');
      assert.match(stderr, /could not be read to its end \(line \d+\): nothing was imported/);
      assert.ok(!existsSync(path.join(other, 'events')));
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('--dry-run reports what would be imported and writes nothing', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'authstream-cli-import-dry-'));
    try {
      const { code, stdout, stderr } = await cli(['import-django', '--dry-run', DEFAULT], { DATA_DIR: other });
      assert.equal(code, 0, stderr);
      assert.equal(stdout, 'dry run: would import 11, skip 0, fail 0; nothing was written\n');
      assert.ok(!existsSync(path.join(other, 'events', 'events.log')), 'no events file');
      assert.ok(!existsSync(path.join(other, 'secret_key')), 'no key generated');
      // Over the imported log, a dry run sees what is there.
      const again = await cli(['import-django', '--dry-run', DEFAULT], { DATA_DIR: dataDir });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /would import 0, skip 11, fail 0/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('a custom user model: --user-model accounts.User with USERNAME_FIELD=email', async () => {
    const other = await mkdtemp(path.join(tmpdir(), 'authstream-cli-import-email-'));
    try {
      const env = { DATA_DIR: other, USERNAME_FIELD: 'email', USER_FIELDS: 'name:120:required' };
      const file = path.join(FIXTURES, 'email-user.json');
      const { code, stdout, stderr } = await cli(['import-django', '--user-model', 'accounts.User', '--concurrency', '4', file], env);
      assert.equal(code, 0, stderr);
      assert.equal(stdout, 'imported 6, skipped 0, failed 0\n');
      const wrong = await cli(['import-django', file], env);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /holds no auth\.user rows \(it holds accounts\.user: 6\): is --user-model right\?/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2: no file argument, a missing file, a bad option, an invalid configuration', async () => {
    const [none, missing, option, config] = await Promise.all(
      cliMany([
        [['import-django'], { DATA_DIR: dataDir }],
        [['import-django', path.join(scratch, 'nope.json')], { DATA_DIR: dataDir }],
        [['import-django', '--concurrency', 'lots', DEFAULT], { DATA_DIR: dataDir }],
        [['import-django', DEFAULT], { DATA_DIR: dataDir, USERNAME_FIELD: 'phone' }],
      ]),
    );
    assert.equal(none!.code, 2);
    assert.match(none!.stderr, /missing required argument 'file'/);
    assert.equal(missing!.code, 2);
    assert.match(missing!.stderr, /cannot read .*nope\.json: no such file/);
    assert.equal(option!.code, 2);
    assert.equal(config!.code, 2);
    assert.match(config!.stderr, /USERNAME_FIELD/);
  });

  it('the service on that DATA_DIR serves the users (alice logs in); while it runs, an import is refused', async () => {
    svc = await startTestService({}, { dataDir });
    const login = await svc.call('POST', '/auth/token/login/', { username: 'alice', password: passwords['default.json']!.alice });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const refused = await cli(['import-django', DEFAULT], { DATA_DIR: dataDir });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is in use by a running authstream, so nothing was done/);
    assert.match(refused.stderr, /stop the service/);
    // Every imported event records the CLI as its actor; one correlation id per run.
    const byRun = new Map<unknown, number>();
    for await (const e of svc.store.readAll()) {
      if (e.type !== 'UserImported') continue;
      assert.equal(e.metadata.actor, 'cli:import-django');
      byRun.set(e.metadata.correlationId, (byRun.get(e.metadata.correlationId) ?? 0) + 1);
    }
    assert.deepEqual([...byRun.values()], [11, 1]);
  });
});
