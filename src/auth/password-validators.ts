// Django's four default AUTH_PASSWORD_VALIDATORS, reproduced so that our error
// messages match what djoser clients already handle (see
// django/contrib/auth/password_validation.py in Django 3.2).
//
// Python semantics we must keep: len() counts code points (not UTF-16 units),
// `\w` is Unicode-aware, str.strip() and str.isdigit() use Python's own
// character sets. Each helper below documents the one it mirrors.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface PasswordUser {
  username?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
}

export interface PasswordPolicy {
  /** MinimumLengthValidator min_length (Django default 8). */
  minLength?: number;
  /** UserAttributeSimilarityValidator max_similarity (Django default 0.7). */
  maxSimilarity?: number;
}

export const DEFAULT_MIN_LENGTH = 8;
export const DEFAULT_MAX_SIMILARITY = 0.7;

// Django's DEFAULT_USER_ATTRIBUTES, in order, with the model field verbose_name
// that appears in the message.
const USER_ATTRIBUTES: ReadonlyArray<readonly [keyof PasswordUser, string]> = [
  ['username', 'username'],
  ['firstName', 'first name'],
  ['lastName', 'last name'],
  ['email', 'email address'],
];

/**
 * All failure messages for `password`, in Django's validator order
 * (similarity, length, common, numeric); empty when the password is acceptable.
 * Pass `user` as undefined to skip the similarity check, as Django does
 * without a user (djoser's reset_password_confirm effectively does this).
 */
export function validatePassword(password: string, user?: PasswordUser, policy: PasswordPolicy = {}): string[] {
  const minLength = policy.minLength ?? DEFAULT_MIN_LENGTH;
  const maxSimilarity = policy.maxSimilarity ?? DEFAULT_MAX_SIMILARITY;
  const errors: string[] = [];

  const similar = user ? similarAttribute(password, user, maxSimilarity) : null;
  if (similar !== null) errors.push(`The password is too similar to the ${similar}.`);

  if (codePoints(password).length < minLength) errors.push(tooShortMessage(minLength));

  if (commonPasswords().has(pyStrip(password.toLowerCase()))) errors.push('This password is too common.');

  if (pyIsDigit(password)) errors.push('This password is entirely numeric.');

  return errors;
}

/** ngettext with English plural rules (n != 1 is plural). */
export function tooShortMessage(minLength: number): string {
  const unit = minLength === 1 ? 'character' : 'characters';
  return `This password is too short. It must contain at least ${minLength} ${unit}.`;
}

/** Verbose name of the first attribute the password is too similar to, or null. */
function similarAttribute(password: string, user: PasswordUser, maxSimilarity: number): string | null {
  const pw = codePoints(password.toLowerCase());
  for (const [key, verboseName] of USER_ATTRIBUTES) {
    const value = user[key];
    if (!value) continue;
    const lower = value.toLowerCase();
    // re.split(r'\W+', value) plus the whole value, so "john.smith@x.org"
    // is compared as "john", "smith", "x", "org" and the full address.
    for (const part of [...lower.split(NON_WORD_RUN), lower]) {
      const partChars = codePoints(part);
      if (exceedsMaximumLengthRatio(pw.length, maxSimilarity, partChars.length)) continue;
      if (quickRatio(pw, partChars) >= maxSimilarity) return verboseName;
    }
  }
  return null;
}

// Django skips values so much shorter than the password that quick_ratio
// could never reach max_similarity (and avoids the cost of comparing).
function exceedsMaximumLengthRatio(passwordLength: number, maxSimilarity: number, valueLength: number): boolean {
  const lengthBoundSimilarity = (maxSimilarity / 2) * passwordLength;
  return passwordLength >= 10 * valueLength && valueLength < lengthBoundSimilarity;
}

/**
 * difflib.SequenceMatcher(a=a, b=b).quick_ratio(): 2*M/T where M is the size
 * of the multiset intersection. Django only ever calls quick_ratio (not
 * ratio), so this is all we need; the arithmetic is the same IEEE double
 * expression as Python's, so results are bit-identical.
 */
export function quickRatio(a: readonly string[], b: readonly string[]): number {
  const available = new Map<string, number>();
  for (const item of b) available.set(item, (available.get(item) ?? 0) + 1);
  let matches = 0;
  for (const item of a) {
    const left = available.get(item) ?? 0;
    if (left > 0) {
      matches += 1;
      available.set(item, left - 1);
    }
  }
  const length = a.length + b.length;
  return length ? (2.0 * matches) / length : 1.0;
}

function codePoints(s: string): string[] {
  return Array.from(s);
}

// Python's `\W+` on str: \w is [\p{L}\p{N}_] (checked against every code point
// assigned in Python 3.11's Unicode 14 database; they agree exactly).
const NON_WORD_RUN = /[^\p{L}\p{N}_]+/u;

// str.strip() whitespace: JS trim() differs (no \x1c-\x1f, \x85; adds \ufeff).
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_WS}]+|[${PY_WS}]+$`, 'g');

export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

// str.isdigit(): Numeric_Type Decimal (= \p{Nd}) or Digit. JS has no
// Numeric_Type property, so the Digit-but-not-Nd characters (superscripts,
// circled digits, ...) are listed; generated from Python 3.11 unicodedata.
const PY_DIGITS = new RegExp(
  '^[\\p{Nd}\\u00B2\\u00B3\\u00B9\\u1369-\\u1371\\u19DA\\u2070\\u2074-\\u2079\\u2080-\\u2089' +
    '\\u2460-\\u2468\\u2474-\\u247C\\u2488-\\u2490\\u24EA\\u24F5-\\u24FD\\u24FF\\u2776-\\u277E' +
    '\\u2780-\\u2788\\u278A-\\u2792\\u{10A40}-\\u{10A43}\\u{10E60}-\\u{10E68}\\u{11052}-\\u{1105A}' +
    '\\u{1F100}-\\u{1F10A}]+$',
  'u',
);

export function pyIsDigit(s: string): boolean {
  return PY_DIGITS.test(s);
}

// The list is ~80 KB gzipped / 20k entries: read it on first use only, once.

let common: Set<string> | undefined;

export function commonPasswords(): ReadonlySet<string> {
  if (common) return common;
  // Beside this module in src/, and copied beside it into dist/ by `npm run build`.
  const text = gunzipSync(readFileSync(new URL('./common-passwords.txt.gz', import.meta.url))).toString('utf8');
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop(); // Python's line iteration yields no trailing empty line
  common = new Set(lines.map(pyStrip));
  return common;
}
