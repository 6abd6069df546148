// Parsing of Django dumpdata files: the three real dumps in test/fixtures/django (see its README), then small inline
// dumps for each kind of bad row. Expectations about the fixtures are read from the files themselves (Python's view
// of them is plain JSON), since regenerating them changes hashes, keys and dates.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  formatDumpError,
  parseDjangoDateTime,
  parseDjangoDump,
  parseDjangoDumpFile,
  parseDjangoDumpStream,
  type DjangoDump,
  type DumpOptions,
} from '../../src/commands/import-django/dump.js';

const fixturePath = (name: string) => fileURLToPath(new URL(`../fixtures/django/${name}`, import.meta.url));
const fixture = (name: string) => readFileSync(fixturePath(name), 'utf8');
type Row = { model: string; pk: number | string; fields: Record<string, unknown> };
const EMAIL_USER: DumpOptions = { userModel: 'accounts.User', usernameField: 'email' };

/** The rows without their position, to compare dumps of the same data in different layouts. */
const content = (dump: DjangoDump) => ({
  users: dump.users.map(({ line: _l, index: _i, ...user }) => user),
  tokens: dump.tokens.map(({ line: _l, index: _i, ...token }) => token),
});

async function* chunks(text: string, size: number) {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('the Django-made fixtures', async () => {
  const defaultText = fixture('default.json');
  const rows = JSON.parse(defaultText) as Row[];
  const dump = await parseDjangoDumpFile(fixturePath('default.json'));

  it('reads every user and token of default.json, with nothing rejected', () => {
    assert.equal(dump.format, 'json');
    assert.deepEqual(dump.errors, []);
    assert.deepEqual(dump.ignored, {});
    assert.deepEqual(
      dump.users.map((u) => u.pk),
      [1, 3, 4, 7, 8, 9, 10, 12, 13, 14, 15],
    );
    const tokens = rows.filter((r) => r.model === 'authtoken.token');
    assert.deepEqual(
      dump.tokens.map((t) => [t.key, t.userPk]),
      tokens.map((r) => [r.pk, r.fields.user]),
    );
    assert.deepEqual(
      dump.tokens.map((t) => t.userPk).sort((a, b) => Number(a) - Number(b)),
      [1, 3, 4, 9, 10, 12, 14],
    );
  });

  it('keeps each field as Django wrote it', () => {
    for (const user of dump.users) {
      const { fields } = rows.find((r) => r.model === 'auth.user' && r.pk === user.pk)!;
      assert.equal(user.model, 'auth.user');
      assert.equal(user.login, fields.username);
      assert.equal(user.email, fields.email);
      assert.equal(user.firstName, fields.first_name);
      assert.equal(user.lastName, fields.last_name);
      assert.equal(user.password, fields.password);
      assert.equal(user.isActive, fields.is_active);
      assert.equal(user.isStaff, fields.is_staff);
      assert.equal(user.isSuperuser, fields.is_superuser);
      assert.equal(user.dateJoined?.toISOString(), new Date(fields.date_joined as string).toISOString());
      assert.equal(user.lastLogin?.toISOString() ?? null, fields.last_login && new Date(fields.last_login as string).toISOString());
      assert.deepEqual(user.groups, []);
      assert.deepEqual(user.userPermissions, []);
      assert.deepEqual(user.extra, {});
    }
    const by = (login: string) => dump.users.find((u) => u.login === login)!;
    assert.equal(by('alice').lastLogin?.toISOString(), '2024-03-01T09:30:15.123Z');
    assert.equal(by('zoë.müller').lastName, 'Müller-Łukasiewicz');
    assert.equal(by('zoë.müller').dateJoined?.toISOString(), '2020-02-29T23:59:59.000Z');
    assert.deepEqual([by('root').isStaff, by('root').isSuperuser, by('grace').isStaff], [true, true, true]);
    assert.deepEqual([by('ivan').isActive, by('ivan').email], [false, '']);
    assert.ok(by('frank').password.startsWith('!'));
  });

  it('gives each row the line where its object opens', () => {
    const lines = defaultText.split('\n');
    for (const row of [...dump.users, ...dump.tokens.map((t) => ({ ...t, pk: t.key }))]) {
      assert.equal(lines[row.line - 1], '{', `line ${row.line}`);
      assert.equal(lines[row.line + 1], `  "pk": ${JSON.stringify(row.pk)},`);
    }
    assert.deepEqual(
      [...dump.users, ...dump.tokens].map((r) => r.index),
      rows.map((_, i) => i + 1),
    );
  });

  it('reads the --format jsonl dump of the same database to the same rows, one line each', async () => {
    const jsonl = await parseDjangoDumpFile(fixturePath('default.jsonl'));
    assert.equal(jsonl.format, 'jsonl');
    assert.deepEqual(jsonl.errors, []);
    assert.deepEqual(content(jsonl), content(dump));
    assert.deepEqual(
      [...jsonl.users, ...jsonl.tokens].map((r) => r.line),
      rows.map((_, i) => i + 1),
    );
  });

  it('reads a dump made without --indent (one line) to the same rows', () => {
    const oneLine = parseDjangoDump(JSON.stringify(rows));
    assert.deepEqual(content(oneLine), content(dump));
    assert.ok(oneLine.users.every((u) => u.line === 1));
  });

  it('gives the same result whatever the chunk boundaries', async () => {
    for (const [name, size] of [
      ['default.json', 1],
      ['default.json', 7],
      ['default.jsonl', 3],
    ] as const) {
      const whole = parseDjangoDump(fixture(name));
      assert.deepEqual(await parseDjangoDumpStream(chunks(fixture(name), size)), whole, `${name} in ${size}s`);
    }
  });

  it('reads the custom user model (USERNAME_FIELD email, a name field, no username)', async () => {
    const emailRows = JSON.parse(fixture('email-user.json')) as Row[];
    const emailDump = await parseDjangoDumpFile(fixturePath('email-user.json'), EMAIL_USER);
    assert.deepEqual(emailDump.errors, []);
    assert.deepEqual(
      emailDump.users.map((u) => [u.pk, u.login, u.email, u.extra]),
      emailRows.filter((r) => r.model === 'accounts.user').map((r) => [r.pk, r.fields.email, r.fields.email, { name: r.fields.name }]),
    );
    assert.deepEqual(
      emailDump.users.map((u) => u.pk),
      [1, 3, 4, 5, 6, 7],
    );
    const chloe = emailDump.users.find((u) => u.pk === 4)!;
    assert.deepEqual([chloe.login, chloe.extra.name, chloe.firstName, chloe.lastName], ['chloé@exämple.com', 'Chloé Ñúñez 山田', '', '']);
    assert.deepEqual(emailDump.tokens.map((t) => t.userPk).sort(), [1, 3, 5, 6]);
  });

  it('explains a wrong USERNAME_FIELD or user model instead of importing nothing silently', async () => {
    const asAuthUser = await parseDjangoDumpFile(fixturePath('email-user.json'), { userModel: 'accounts.user' });
    assert.equal(asAuthUser.users.length, 0);
    assert.match(asAuthUser.errors[0]!.reason, /no "username" field \(set usernameField/);
    assert.ok(asAuthUser.errors.some((e) => /token of user 1, whose row was rejected \(line 2\)/.test(e.reason)));

    const wrongModel = await parseDjangoDumpFile(fixturePath('email-user.json'));
    assert.deepEqual(wrongModel.ignored, { 'accounts.user': 6 });
    assert.ok(wrongModel.errors.every((e) => /who is not in the file/.test(e.reason)));
  });
});

// Inline dumps: one object per line unless said otherwise, so an object's line is its position plus one.
const user = (pk: unknown, fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: 'auth.user',
    pk,
    fields: {
      password: 'pbkdf2_sha256$1$s$h',
      username: `user${String(pk)}`,
      date_joined: '2024-01-01T00:00:00Z',
      ...fields,
    },
  });
const token = (key: unknown, userPk: unknown, fields: Record<string, unknown> = {}) =>
  JSON.stringify({
    model: 'authtoken.token',
    pk: key,
    fields: { user: userPk, created: '2024-01-02T00:00:00Z', ...fields },
  });
const array = (...objects: string[]) => `[\n${objects.join(',\n')}\n]\n`;
const errorsOf = (dump: DjangoDump) => dump.errors.map(formatDumpError);
const KEY = 'a'.repeat(40);

describe('bad rows', () => {
  it('rejects each bad user row with its line, keeping the good ones', () => {
    const dump = parseDjangoDump(
      array(
        user(1),
        JSON.stringify({ model: 'auth.user', fields: { username: 'nopk', password: 'x' } }),
        user(2.5),
        user(3, { username: 42 }),
        user(4, { is_active: 'yes' }),
        user(5, { date_joined: '2024-02-30T00:00:00Z' }),
        user(6, { last_login: 'yesterday' }),
        user(7, { password: null }),
        '{"model": "auth.user", "pk": 8, "fields": {"username": tru}}',
        JSON.stringify({ model: 'auth.user', pk: 9, fields: 'none' }),
        user(10, { groups: 3 }),
        user(1, { username: 'again' }),
        user(11, { username: 'user1' }),
        '{"pk": 13, "fields": {}}',
        user(12),
      ),
    );
    assert.deepEqual(
      dump.users.map((u) => u.pk),
      [1, 12],
    );
    assert.deepEqual(errorsOf(dump), [
      'line 3: missing "pk" (dumps made with --natural-primary have none; dump without it)',
      'line 4: "pk" must be an integer or a non-empty string',
      'line 5: "username" (the USERNAME_FIELD) must be a non-empty string',
      'line 6: "is_active" must be true or false',
      'line 7: "date_joined" must be a date and time like 2024-03-01T09:30:15.123Z',
      'line 8: "last_login" must be a date and time like 2024-03-01T09:30:15.123Z',
      'line 9: "password" must be a string',
      'line 10: not valid JSON',
      'line 11: "fields" must be an object',
      'line 12: "groups" must be a list',
      'line 13: duplicate pk 1 (first at line 2)',
      'line 14: duplicate username "user1" (first at line 2)',
      'line 15: not a dumpdata object (expected {"model": ..., "pk": ..., "fields": {...}})',
    ]);
    assert.deepEqual(
      dump.errors.map((e) => [e.index, e.fatal, e.pk]),
      [
        [2, false, undefined],
        [3, false, undefined],
        [4, false, 3],
        [5, false, 4],
        [6, false, 5],
        [7, false, 6],
        [8, false, 7],
        [9, false, undefined],
        [10, false, 9],
        [11, false, 10],
        [12, false, 1],
        [13, false, 11],
        [14, false, undefined],
      ],
    );
  });

  it('rejects tokens without a user in the file, duplicated, or malformed', () => {
    const dump = parseDjangoDump(
      array(
        token(KEY, 1), // before its user: fine
        user(1),
        user(2, { is_staff: 'no' }),
        token('b'.repeat(40), 2),
        token('c'.repeat(40), 99),
        token(KEY, 3),
        user(3),
        token('d'.repeat(40), 1),
        token('e'.repeat(41), 3),
        token('f'.repeat(40), 3, { created: null }),
        token(null, 3),
        token('g'.repeat(40), { id: 3 }),
        token('h'.repeat(40), ['user3']), // --natural-foreign
      ),
    );
    assert.deepEqual(
      dump.tokens.map((t) => [t.key[0], t.userPk, t.line]),
      [
        ['a', 1, 2],
        ['h', 3, 14],
      ],
    );
    assert.deepEqual(errorsOf(dump), [
      'line 4: "is_staff" must be true or false',
      'line 5: token of user 2, whose row was rejected (line 4)',
      'line 6: token of user 99, who is not in the file',
      'line 7: duplicate token key (first at line 2)',
      'line 9: user 1 already has a token (line 2); DRF allows one per user',
      'line 10: the key (pk) must be 1 to 40 printable ASCII characters',
      'line 11: "created" must be a date and time like 2024-03-01T09:30:15.123Z',
      'line 12: the key (pk) must be 1 to 40 printable ASCII characters',
      'line 13: "user" must be a user pk',
    ]);
  });

  it('never puts a token key or password hash in an error', () => {
    const secret = 'f00d'.repeat(10);
    const dump = parseDjangoDump(
      array(
        `{"model": "authtoken.token", "pk": "${secret}", "fields": {"user": 1, "created": nope}}`,
        `{"model": "auth.user", "pk": 1, "fields": {"password": "${secret}", "username": x}}`,
        token(secret, 1, { created: 'nope' }),
        token(secret.replace('f', 'e'), 2),
      ),
    );
    assert.equal(dump.errors.length, 4);
    for (const error of dump.errors) assert.ok(!JSON.stringify(error).includes(secret.slice(4)), JSON.stringify(error));
  });

  it('counts objects of other models without rejecting them, and matches labels in any case', () => {
    const dump = parseDjangoDump(
      array(
        JSON.stringify({ model: 'auth.group', pk: 1, fields: { name: 'editors' } }),
        user(1).replace('"auth.user"', '"Auth.User"'),
        JSON.stringify({ model: 'contenttypes.contenttype', pk: 1, fields: {} }),
        JSON.stringify({ model: 'auth.group', pk: 2, fields: { name: 'staff' } }),
      ),
    );
    assert.deepEqual(dump.ignored, { 'auth.group': 2, 'contenttypes.contenttype': 1 });
    assert.deepEqual([dump.users[0]?.model, dump.errors], ['Auth.User', []]);
  });

  it('keeps a custom model’s extra fields as text', () => {
    const [row] = parseDjangoDump(array(user(1, { phone: null, age: 7, vip: true, tags: ['a'], name: 'Ann' }))).users;
    assert.deepEqual(row?.extra, { phone: null, age: '7', vip: 'true', tags: '["a"]', name: 'Ann' });
  });

  it('reads dates with an offset, and naive ones (USE_TZ = False) as UTC', () => {
    const [a, b] = parseDjangoDump(
      array(
        user(1, { date_joined: '2024-03-01T09:30:15.123456+02:00', last_login: '2024-03-01T09:30' }),
        user(2, { date_joined: '0001-01-01T00:00:00Z', last_login: '2024-12-31 23:59:59.5' }),
      ),
    ).users;
    assert.equal(a?.dateJoined?.toISOString(), '2024-03-01T07:30:15.123Z');
    assert.equal(a?.lastLogin?.toISOString(), '2024-03-01T09:30:00.000Z');
    assert.equal(b?.dateJoined?.toISOString(), '0001-01-01T00:00:00.000Z');
    assert.equal(b?.lastLogin?.toISOString(), '2024-12-31T23:59:59.500Z');
  });

  it('checks calendar dates exactly', () => {
    const iso = (text: string) => parseDjangoDateTime(text)?.toISOString() ?? null;
    assert.equal(iso('2024-02-29T12:00:00Z'), '2024-02-29T12:00:00.000Z');
    assert.equal(iso('2000-02-29T00:00:00Z'), '2000-02-29T00:00:00.000Z');
    assert.equal(iso('0004-02-29T00:00:00Z'), '0004-02-29T00:00:00.000Z');
    assert.equal(iso('2024-01-01T00:30:00-01:30'), '2024-01-01T02:00:00.000Z');
    for (const bad of [
      '2023-02-29T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T00:60:00Z',
      '0000-01-01T00:00:00Z',
      '2024-01-01T00:00:00+24:00',
      '2024-01-01',
      '2024-01-01T00:00:00.1234567Z',
    ]) {
      assert.equal(iso(bad), null, bad);
    }
  });

  it('reads JSON lines with a bad line in the middle, blank lines, CRLF and a BOM', () => {
    const text = '\uFEFF' + [user(1), '{"model": "auth.user", "pk": 2,', '', user(3), ''].join('\r\n');
    const dump = parseDjangoDump(text);
    assert.deepEqual(
      dump.users.map((u) => [u.pk, u.line]),
      [
        [1, 1],
        [3, 4],
      ],
    );
    assert.equal(dump.errors.length, 1);
    assert.match(formatDumpError(dump.errors[0]!), /^line 2: not valid JSON/);
  });

  it('skips an object too big to be a row, and goes on', () => {
    const dump = parseDjangoDump(array(user(1, { bio: 'x'.repeat(2 << 20) }), user(2)));
    assert.deepEqual(errorsOf(dump), [`line 2: object larger than ${1 << 20} bytes`]);
    assert.deepEqual(
      dump.users.map((u) => u.pk),
      [2],
    );
  });
});

describe('unreadable files', () => {
  const fatal = (text: string) => {
    const dump = parseDjangoDump(text);
    assert.ok(dump.errors.at(-1)?.fatal, JSON.stringify(dump.errors));
    return { users: dump.users.map((u) => u.pk), errors: errorsOf(dump) };
  };

  it('reports a truncated file at the object or array it cuts, keeping the rows before', () => {
    const text = array(user(1), user(2));
    assert.deepEqual(fatal(text.slice(0, -20)), {
      users: [1],
      errors: ['line 3: the object starting here is never closed (truncated file?)'],
    });
    assert.deepEqual(fatal(text.slice(0, -3)), {
      users: [1, 2],
      errors: ["line 3: the top-level array is never closed with ']' (truncated file?)"],
    });
  });

  it('stops at text that is not part of a dumpdata array', () => {
    assert.deepEqual(fatal(`[\n${user(1)},\n]`).errors, ["line 3: expected an object after ','"]);
    assert.deepEqual(fatal(`[\n${user(1)}\n${user(2)}]`).errors, ["line 3: expected ',' or ']' after an object"]);
    assert.deepEqual(fatal(`[\n${user(1)}\n]\n[]`).errors, ["line 4: unexpected text after the closing ']'"]);
    assert.deepEqual(fatal('[\n  1\n]').errors, ["line 2: expected an object or ']'"]);
    assert.deepEqual(fatal('Traceback (most recent call last):').errors, ['line 1: expected a JSON array (`[`) or JSON lines (`{`)']);
    assert.deepEqual(fatal(' \n ').errors, ['line 1: empty file: expected a JSON array or JSON lines']);
  });

  it('accepts an empty dump', () => {
    assert.deepEqual(parseDjangoDump('[]\n'), { format: 'json', users: [], tokens: [], errors: [], ignored: {} });
  });

  it('is not fooled by braces, brackets and quotes inside strings, in any chunking', async () => {
    const tricky = user(1, { first_name: '}]{["\\"', last_name: '\\\\' });
    const text = array(tricky, user(2));
    const dump = parseDjangoDump(text);
    assert.deepEqual(dump.errors, []);
    assert.deepEqual([dump.users[0]?.firstName, dump.users[0]?.lastName, dump.users[1]?.line], ['}]{["\\"', '\\\\', 3]);
    assert.deepEqual(await parseDjangoDumpStream(chunks(text, 1)), dump);
  });
});
