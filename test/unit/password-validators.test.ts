import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commonPasswords, pyIsDigit, pyStrip, quickRatio, tooShortMessage, validatePassword } from '../../src/auth/password-validators.js';

const TOO_SHORT = 'This password is too short. It must contain at least 8 characters.';
const COMMON = 'This password is too common.';
const NUMERIC = 'This password is entirely numeric.';

const chars = (s: string) => Array.from(s);

describe('quickRatio matches difflib.SequenceMatcher.quick_ratio', () => {
  // Expected values printed by CPython 3.11:
  //   SequenceMatcher(a=a, b=b).quick_ratio()
  const cases: Array<[string, string, number]> = [
    ['johnsmith1', 'johnsmith', 0.9473684210526315],
    ['example.com', 'example', 0.7777777777777778],
    ['wonderland', 'wonder', 0.75],
    ['alicewonder', 'wonder', 0.7058823529411765],
    ['abc', 'cba', 1.0],
    ['', '', 1.0],
    ['a', 'aaaaaaaaaa', 0.18181818181818182],
    ['passw0rd', 'pass', 0.6666666666666666],
    ['😀x', '😀y', 0.5],
    ['tenletters', 't', 0.18181818181818182],
  ];
  for (const [a, b, expected] of cases) {
    it(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`, () => {
      assert.equal(quickRatio(chars(a), chars(b)), expected);
    });
  }
});

describe('validatePassword reproduces Django 3.2 validate_password', () => {
  // Expected lists captured from django.contrib.auth.password_validation
  // .validate_password(pw, User(**attrs)) with the four default validators.
  const cases: Array<[string, Parameters<typeof validatePassword>[1], string[]]> = [
    ['123', { username: 'bob' }, [TOO_SHORT, COMMON, NUMERIC]],
    ['²³¹12345', { username: 'bob' }, [NUMERIC]],
    ['x', { username: 'bob' }, [TOO_SHORT, COMMON]],
    ['', { username: '@x' }, ['The password is too similar to the username.', TOO_SHORT]],
    ['  PASSWORD  ', { username: 'zz' }, [COMMON]],
    ['\x1cpassword\x1c', { username: 'zz' }, [COMMON]],
    ['\ufeffpassword', { username: 'zz' }, []],
    ['john.smith@example.com', { username: 'zz', email: 'john.smith@example.com' }, ['The password is too similar to the email address.']],
    ['smith-is-great', { username: 'zz', lastName: 'Smith' }, []],
    ['ÀÉÎÕÜàéîõü', { username: 'àéîõü' }, []],
    ['😀😀😀😀😀😀😀', { username: 'zz' }, [TOO_SHORT]],
    ['qwertyuiopasdfghjklzxcvbnmqwerty', { username: 'qwe' }, []],
    ['a'.repeat(43), { username: 'aa' }, []],
    ['Jean-Pierre99', { username: 'zz', firstName: 'Jean-Pierre' }, ['The password is too similar to the first name.']],
    ['jeanbobpierre', { username: 'zz', firstName: 'Jean-Pierre' }, ['The password is too similar to the first name.']],
    ['MaryJane', { username: 'zz', firstName: 'Mary', lastName: 'Jane' }, [COMMON]],
    ['ΣΊΣΥΦΟΣ1234', { username: 'σίσυφος' }, ['The password is too similar to the username.']],
    // Observed through djoser's POST users/ and set_password.
    ['johnsmith1', { username: 'johnsmith', email: 'js@example.com' }, ['The password is too similar to the username.']],
    ['example.com', { username: 'x1', email: 'js@example.com' }, ['The password is too similar to the email address.']],
    [
      'wonderland',
      { username: 'alice', firstName: 'Alice', lastName: 'Wonder', email: 'alice@example.com' },
      ['The password is too similar to the last name.', COMMON],
    ],
    ['Xyz-long-pass-99', { username: 'bob', email: 'bob@example.com' }, []],
  ];
  for (const [password, user, expected] of cases) {
    it(`${JSON.stringify(password)} with ${JSON.stringify(user)}`, () => {
      assert.deepEqual(validatePassword(password, user), expected);
    });
  }

  it('skips the similarity check without a user', () => {
    assert.deepEqual(validatePassword('alicewonder', undefined), []);
    assert.deepEqual(validatePassword('alicewonder', { lastName: 'Wonder' }), ['The password is too similar to the last name.']);
  });

  it('reports only the first similar attribute, in Django attribute order', () => {
    assert.deepEqual(validatePassword('bobsmith99', { username: 'bobsmith', lastName: 'bobsmith' }), [
      'The password is too similar to the username.',
    ]);
  });

  it('ignores empty attributes', () => {
    assert.deepEqual(validatePassword('Xyz-long-pass-99', { username: '', email: '', firstName: '', lastName: '' }), []);
  });
});

describe('MinimumLengthValidator', () => {
  it('counts code points, not UTF-16 units', () => {
    // 4 emoji are 8 UTF-16 units but 4 characters for Python.
    assert.deepEqual(validatePassword('😀😀😀😀', undefined), [TOO_SHORT]);
  });
  it('uses the singular form for 1', () => {
    assert.equal(tooShortMessage(1), 'This password is too short. It must contain at least 1 character.');
    assert.deepEqual(validatePassword('', undefined, { minLength: 1 }), [
      'This password is too short. It must contain at least 1 character.',
    ]);
    assert.equal(tooShortMessage(12), 'This password is too short. It must contain at least 12 characters.');
  });
});

describe('CommonPasswordValidator list', () => {
  it('loads Django 3.2 list once', () => {
    const list = commonPasswords();
    assert.equal(list.size, 19727);
    assert.ok(list.has('password'), 'list has password');
    assert.ok(!list.has(''), 'list has no empty entry');
    assert.equal(commonPasswords(), list);
  });
});

describe('Python string helpers', () => {
  it('pyStrip uses str.strip() whitespace', () => {
    assert.equal(pyStrip('\x1c\x85 a b\u3000\t'), 'a b');
    assert.equal(pyStrip('\ufeffa'), '\ufeffa');
  });
  it('pyIsDigit follows str.isdigit()', () => {
    assert.equal(pyIsDigit('0123'), true);
    assert.equal(pyIsDigit('²①٣'), true);
    assert.equal(pyIsDigit(''), false);
    assert.equal(pyIsDigit('12a'), false);
    assert.equal(pyIsDigit('½'), false); // numeric but not a digit
  });
});
