// Unicode keys of usernames and emails (issue #10.9): NFKC before validation, one key per mailbox, and the UTS #39
// skeleton that makes look-alike usernames collide.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emailKey, normalizeEmail, skeleton, usernameKey, usernameSkeleton } from '../../src/commands/normalize.js';
import { parseFields, usernameField } from '../../src/http/fields.js';

const INVALID_USERNAME = 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.';
const parseUsername = (value: unknown) => parseFields({ username: usernameField() }, { username: value });

describe('usernameField: validated and passed on in NFKC', () => {
  it('"⑴x" is "(1)x" once normalised, so it is refused (it used to pass and be stored as "(1)x")', () => {
    assert.equal('⑴x'.normalize('NFKC'), '(1)x');
    assert.deepEqual(parseUsername('⑴x').errors, { username: [INVALID_USERNAME] });
  });

  it('fullwidth letters and ligatures become their plain forms', () => {
    assert.deepEqual(parseUsername('ａｌｉｃｅ'), { data: { username: 'alice' }, errors: {} });
    assert.deepEqual(parseUsername('ﬁsh'), { data: { username: 'fish' }, errors: {} });
  });

  it('letters of other scripts stay valid; the max length counts the normalised form', () => {
    assert.deepEqual(parseUsername('Zoë'), { data: { username: 'Zoë' }, errors: {} });
    assert.deepEqual(parseUsername('Zoe\u0308').data, { username: 'Zoë' }); // NFKC composes
    // U+FDFA is one code point that NFKC turns into 18 (with spaces, so also invalid).
    assert.equal('\uFDFA'.normalize('NFKC').length, 18);
    assert.deepEqual(parseUsername('a'.repeat(149) + 'ﬀ').errors, { username: ['Ensure this field has no more than 150 characters.'] });
  });
});

describe('usernameKey', () => {
  it('NFKC and case-insensitive', () => {
    assert.equal(usernameKey('ＡＬＩＣＥ'), 'alice');
    assert.equal(usernameKey('Alice'), usernameKey('alice'));
  });
});

describe('emailKey: one key per mailbox', () => {
  it('case: ALICE@Example.COM is alice@example.com', () => {
    assert.equal(emailKey('ALICE@Example.COM'), 'alice@example.com');
    assert.equal(emailKey(' alice@example.com '), 'alice@example.com');
  });

  it('width: a fullwidth domain (or local part) is the ASCII one', () => {
    assert.equal(emailKey('victim@ＥＸＡＭＰＬＥ.com'), emailKey('victim@example.com'));
    assert.equal(emailKey('ｖｉｃｔｉｍ＠example．com'), 'victim@example.com');
  });

  it('IDNA: bücher.example and xn--bcher-kva.example are one domain, in any case and with an ideographic dot', () => {
    assert.equal(emailKey('hans@bücher.example'), 'hans@xn--bcher-kva.example');
    assert.equal(emailKey('hans@xn--bcher-kva.example'), 'hans@xn--bcher-kva.example');
    assert.equal(emailKey('Hans@BÜCHER.Example'), 'hans@xn--bcher-kva.example');
    assert.equal(emailKey('hans@bücher。example'), 'hans@xn--bcher-kva.example');
  });

  it('full case folding of the local part (ß = ss, ς = σ); IP literals and localhost kept', () => {
    assert.equal(emailKey('STRASSE@example.com'), emailKey('straße@example.com'));
    assert.equal(emailKey('ΟΔΟΣ@example.com'), emailKey('οδος@example.com'));
    assert.equal(emailKey('root@[127.0.0.1]'), 'root@[127.0.0.1]');
    assert.equal(emailKey('root@localhost'), 'root@localhost');
  });

  it("'' is '' (a key nobody holds); text without @ is only folded", () => {
    assert.equal(emailKey(''), '');
    assert.equal(emailKey('  '), '');
    assert.equal(emailKey('NoAt'), 'noat');
  });

  it('the stored address stays as given: normalizeEmail lower-cases only the domain, as Django', () => {
    assert.equal(normalizeEmail('Victim@ＥＸＡＭＰＬＥ.com'), 'Victim@ｅｘａｍｐｌｅ.com');
    assert.equal(normalizeEmail(' Hans@Bücher.Example '), 'Hans@bücher.example');
  });
});

describe('usernameSkeleton: look-alikes collide, distinct names do not', () => {
  it('Cyrillic look-alikes of alice and paypal', () => {
    const cyrillicAlice = '\u0430lice'; // а (U+0430)
    assert.notEqual(usernameKey(cyrillicAlice), usernameKey('alice'));
    assert.equal(usernameSkeleton(cyrillicAlice), usernameSkeleton('alice'));
    const cyrillicPaypal = '\u0440\u0430y\u0440\u0430l'; // р а y р а l
    assert.equal(usernameSkeleton(cyrillicPaypal), usernameSkeleton('paypal'));
    assert.equal(usernameSkeleton('АLICE'), usernameSkeleton('alice')); // Cyrillic capital А, then Latin
  });

  it('Greek look-alikes', () => {
    assert.equal(usernameSkeleton('\u03c1\u03b1ypal'), usernameSkeleton('paypal')); // ρ α
    assert.equal(usernameSkeleton('b\u03bfb'), usernameSkeleton('bob')); // ο
  });

  it('mixed script: one foreign letter among Latin ones', () => {
    assert.equal(usernameSkeleton('p\u0430ypal'), usernameSkeleton('paypal'));
    assert.equal(usernameSkeleton('alic\u0435'), usernameSkeleton('alice')); // Cyrillic е
    assert.equal(usernameSkeleton('adm\u0456n'), usernameSkeleton('admin')); // Ukrainian і
  });

  it('not within ASCII (deliberate: Django lets rn and m, l and 1 coexist, and ASCII-only names need them)', () => {
    assert.notEqual(usernameSkeleton('rnallory'), usernameSkeleton('mallory'));
    assert.notEqual(usernameSkeleton('bi11'), usernameSkeleton('bill'));
    assert.equal(usernameSkeleton('BILL'), usernameSkeleton('bill'), 'case is folded before');
  });

  it('width and case variants share the skeleton (and the key)', () => {
    assert.equal(usernameSkeleton('ＡＬＩＣＥ'), usernameSkeleton('alice'));
    assert.equal(usernameKey('ＡＬＩＣＥ'), usernameKey('alice'));
  });

  it('different names stay different', () => {
    for (const [a, b] of [
      ['alice', 'alicia'],
      ['bob', 'rob'],
      ['zoë', 'zoe'],
      ['ivan', 'иван'],
      ['user_1', 'user-1'],
    ] as const) {
      assert.notEqual(usernameSkeleton(a), usernameSkeleton(b), `${a} vs ${b}`);
    }
  });

  it('skeleton is UTS #39 skeleton(): NFD, prototypes, ignorables dropped, idempotent', () => {
    assert.equal(skeleton('\u0430'), 'a');
    assert.equal(skeleton('a\u200db'), 'ab'); // zero-width joiner: default-ignorable
    for (const word of ['\u0440\u0430y\u0440\u0430l', 'rnallory', 'Zoë', 'ǉubljana'])
      assert.equal(skeleton(skeleton(word)), skeleton(word));
  });
});
