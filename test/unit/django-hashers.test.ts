// The truth source is real Django output: test/fixtures/django (made by Django 3.2's make_password/set_password,
// and checked by its check_password; see its README). Hashes edited here only ever test rejection.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  DJANGO_HASH_LIMITS,
  identifyDjangoHash,
  isDjangoHash,
  isUsableDjangoHash,
  verifyDjangoPassword,
} from '../../src/crypto/django-hashers.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/django/${name}`, import.meta.url), 'utf8');
type Row = { model: string; pk: unknown; fields: Record<string, unknown> };
const passwords = JSON.parse(fixture('passwords.json')) as Record<string, Record<string, string>>;

/** login → encoded password of the users in a dump. */
function hashes(file: string, loginField: string): Map<string, string> {
  const rows = (JSON.parse(fixture(file)) as Row[]).filter((r) => r.model !== 'authtoken.token');
  return new Map(rows.map((r) => [r.fields[loginField] as string, r.fields.password as string]));
}
const defaultHashes = hashes('default.json', 'username');
const emailHashes = hashes('email-user.json', 'email');
const hashOf = (login: string) => defaultHashes.get(login) ?? emailHashes.get(login) ?? assert.fail(login);

describe('verifyDjangoPassword against Django-made hashes', () => {
  for (const [file, hashesOfFile] of [
    ['default.json', defaultHashes],
    ['email-user.json', emailHashes],
  ] as const) {
    for (const [login, password] of Object.entries(passwords[file]!)) {
      it(`${file} ${login}: right password matches, wrong ones do not`, async () => {
        const encoded = hashesOfFile.get(login)!;
        // Wrong ones differ near the start: plain bcrypt ignores everything after byte 72 (erin's test below).
        const guesses = [password, 'x' + password, password.slice(1), password.toUpperCase(), ''];
        const results = await Promise.all(guesses.map((guess) => verifyDjangoPassword(encoded, guess)));
        assert.deepEqual(results, [true, false, false, false, false]);
        assert.equal(isUsableDjangoHash(encoded), true);
        assert.equal(isDjangoHash(encoded), true);
      });
    }
  }

  it('covers every hasher the fixture was made with', () => {
    const info = (login: string) => identifyDjangoHash(hashOf(login));
    assert.deepEqual(info('alice'), { algorithm: 'pbkdf2_sha256', iterations: 260000 });
    assert.deepEqual(info('bob'), { algorithm: 'pbkdf2_sha1', iterations: 260000 });
    const argon2 = { algorithm: 'argon2', version: 0x13, memoryKiB: 102400, timeCost: 2, parallelism: 8 };
    assert.deepEqual(info('carol'), { ...argon2, variety: 'argon2id' });
    assert.deepEqual(info('heidi'), { ...argon2, variety: 'argon2i' });
    assert.deepEqual(info('ben@example.com'), { ...argon2, variety: 'argon2id' });
    assert.deepEqual(info('dave'), { algorithm: 'bcrypt_sha256', cost: 12 });
    assert.deepEqual(info('erin'), { algorithm: 'bcrypt', cost: 12 });
    assert.deepEqual(info('frank'), { algorithm: 'unusable' });
  });

  it('plain bcrypt only uses the first 72 bytes, as in Django (the generator asserted Django accepts the prefix)', async () => {
    const password = passwords['default.json']!.erin!;
    assert.ok(Buffer.byteLength(password) > 72);
    assert.equal(await verifyDjangoPassword(hashOf('erin'), password.slice(0, 72)), true);
    assert.equal(await verifyDjangoPassword(hashOf('erin'), password.slice(0, 71)), false);
  });

  it('bcrypt_sha256 hashes the password first: the same bcrypt string read as plain bcrypt does not match', async () => {
    const encoded = hashOf('dave');
    const asPlain = encoded.replace(/^bcrypt_sha256\$/, 'bcrypt$');
    assert.equal(await verifyDjangoPassword(asPlain, passwords['default.json']!.dave!), false);
  });

  it('verifies the hashes Django accepts but no longer makes (argon2 without v=, bcrypt $2y$)', async () => {
    const extra = JSON.parse(fixture('extra-hashes.json')) as { encoded: string; password: string }[];
    const [legacyArgon2, bcrypt2y] = extra.map((h) => h.encoded);
    assert.deepEqual(identifyDjangoHash(legacyArgon2), {
      algorithm: 'argon2',
      variety: 'argon2i',
      version: 0x10,
      memoryKiB: 512,
      timeCost: 2,
      parallelism: 2,
    });
    assert.deepEqual(identifyDjangoHash(bcrypt2y), { algorithm: 'bcrypt', cost: 12 });
    for (const { encoded, password } of extra) {
      assert.equal(await verifyDjangoPassword(encoded, password), true, encoded);
      assert.equal(await verifyDjangoPassword(encoded, password + 'x'), false, encoded);
    }
  });

  it('never matches a tampered hash', async () => {
    for (const login of ['alice', 'bob', 'carol', 'dave']) {
      const encoded = hashOf(login);
      const last = encoded.at(-1) === 'A' ? 'B' : 'A';
      const password = passwords['default.json']![login]!;
      // A changed last character either fails the strict parse or yields another digest.
      assert.equal(await verifyDjangoPassword(encoded.slice(0, -1) + last, password), false, login);
    }
  });

  it('runs PBKDF2 off the event loop', async () => {
    let ticked = false;
    setImmediate(() => (ticked = true));
    assert.equal(await verifyDjangoPassword(hashOf('alice'), passwords['default.json']!.alice!), true);
    assert.equal(ticked, true);
  });

  it('refuses passwords Python could not encode or bcrypt would cut at NUL', async () => {
    assert.equal(await verifyDjangoPassword(hashOf('alice'), 'correct horse\uD800'), false);
    assert.equal(await verifyDjangoPassword(hashOf('erin'), passwords['default.json']!.erin! + '\0'), false);
  });
});

describe('unusable passwords', () => {
  for (const login of ['frank', 'nopass@example.com']) {
    it(`${login}: recognised as Django's, never usable, never matches`, async () => {
      const encoded = hashOf(login);
      assert.ok(encoded.startsWith('!'));
      assert.deepEqual(identifyDjangoHash(encoded), { algorithm: 'unusable' });
      assert.equal(isDjangoHash(encoded), true);
      assert.equal(isUsableDjangoHash(encoded), false);
      for (const guess of ['', encoded, encoded.slice(1), 'password']) {
        assert.equal(await verifyDjangoPassword(encoded, guess), false);
      }
    });
  }
});

describe('garbage and hostile hashes', () => {
  const alice = hashOf('alice');
  const carol = hashOf('carol');
  const dave = hashOf('dave');
  const garbage: [string, unknown][] = [
    ['empty', ''],
    ['no algorithm', 'correct horse battery staple'],
    ['authstream argon2id PHC', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA'],
    ['unsupported md5', 'md5$salt$5f4dcc3b5aa765d61d8327deb882cf99'],
    ['unsupported unsalted sha1', 'sha1$$5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8'],
    ['pbkdf2 without parts', 'pbkdf2_sha256$'],
    ['pbkdf2 zero iterations', alice.replace('$260000$', '$0$')],
    ['pbkdf2 non-numeric iterations', alice.replace('$260000$', '$26e4$')],
    ['pbkdf2 over the iteration cap', alice.replace('$260000$', `$${DJANGO_HASH_LIMITS.maxPbkdf2Iterations + 1}$`)],
    ['pbkdf2 truncated digest', alice.slice(0, -8)],
    ['pbkdf2 digest of the wrong length', alice.replace(/\$[^$]+$/, '$' + Buffer.alloc(20).toString('base64'))],
    ['pbkdf2 empty salt', alice.replace(/\$[^$]+\$([^$]+)$/, '$$$1')],
    ['argon2 over the memory cap', carol.replace('m=102400', `m=${DJANGO_HASH_LIMITS.maxArgon2MemoryKiB + 1}`)],
    ['argon2 over the time cap', carol.replace('t=2', 't=1000')],
    ['argon2 zero parallelism', carol.replace('p=8', 'p=0')],
    ['argon2 unknown variety', carol.replace('argon2id', 'argon2x')],
    ['argon2 unknown version', carol.replace('v=19', 'v=20')],
    ['argon2 padded base64', carol + '=='],
    ['bcrypt over the cost cap', dave.replace('$2b$12$', '$2b$31$')],
    ['bcrypt buggy $2x$ variant', dave.replace('$2b$', '$2x$')],
    ['bcrypt with a bad character', dave.slice(0, -1) + '!'],
    ['bcrypt without Django prefix', dave.slice('bcrypt_sha256$'.length)],
    ['over the length cap', 'pbkdf2_sha256$1$' + 's'.repeat(DJANGO_HASH_LIMITS.maxEncodedLength) + '$AAAA'],
    ['null', null],
    ['number', 42],
    ['object', { algorithm: 'pbkdf2_sha256' }],
  ];
  for (const [label, encoded] of garbage) {
    it(`${label}: not a Django hash, never matches, never throws`, async () => {
      assert.equal(identifyDjangoHash(encoded), null);
      assert.equal(isDjangoHash(encoded), false);
      assert.equal(isUsableDjangoHash(encoded), false);
      assert.equal(await verifyDjangoPassword(encoded, 'correct horse battery staple'), false);
    });
  }
});
