// Normalised forms for lookups and uniqueness. Usernames compare case-insensitively after Unicode NFKC (Django
// normalises with NFKC too; we also fold case, so "Alice" and "alice" cannot be two accounts). Emails compare as
// one mailbox whatever their case, width or IDNA form. Both keep the value as given (NFKC for usernames, Django's
// normalize_email for emails) for display and for sending mail; only the keys are folded.
import { createRequire } from 'node:module';
import { domainToASCII } from 'node:url';
import type { Account } from './account.state.js';
import type { ReservedKind } from './decider.js';

export const usernameKey = (username: string): string => username.normalize('NFKC').toLowerCase();

/**
 * The mailbox an address names, for uniqueness and lookups: NFKC (fullwidth letters are the ASCII ones), trimmed,
 * case-folded (upper- then lower-casing: "ß" = "ss", "ς" = "σ"), and the domain in its IDNA ASCII form
 * ("bücher.example" = "xn--bcher-kva.example"). '' (no email) stays '', a key nobody can hold.
 */
export function emailKey(email: string): string {
  const folded = email.normalize('NFKC').trim().toUpperCase().toLowerCase();
  const at = folded.lastIndexOf('@');
  if (at < 0) return folded;
  const domain = folded.slice(at + 1);
  // UTS #46 processing; '' for what is no domain name (an [IP literal]): then the folded text itself.
  const ascii = domain === '' ? '' : domainToASCII(domain);
  return `${folded.slice(0, at)}@${ascii || domain}`;
}

// Unicode's confusables.txt (UTS #39 §4, the "Recommended confusable mapping for IDN"): one code point to its
// prototype. Version 13.0 as the pinned unhomoglyph package ships it; a new table changes skeletons, so the
// reservations keyed by them would have to be re-keyed: never update it in passing.
const PROTOTYPES = new Map(Object.entries(createRequire(import.meta.url)('unhomoglyph/data.json') as Record<string, string>));
const IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;

/**
 * UTS #39's skeleton(X): NFD, default-ignorables removed, each code point replaced by its prototype, NFD again —
 * except that ASCII stays itself: the look-alikes refused are another script's (Cyrillic "а" for "a"), not ASCII's
 * own ("rn" and "m", "l" and "1"), which Django has always let coexist and which ASCII-only names need.
 */
export function skeleton(text: string): string {
  let out = '';
  for (const char of text.normalize('NFD')) {
    if (IGNORABLE.test(char)) continue;
    out += char.charCodeAt(0) < 0x80 ? char : (PROTOTYPES.get(char) ?? char);
  }
  return out.normalize('NFD');
}

/**
 * What a username looks like: the skeleton of its key. Two usernames with one skeleton and different keys are
 * confusable ("аlice" in Cyrillic and "alice", "ραypal" and "paypal", "m" and "rn"); at most one may exist.
 */
export const usernameSkeleton = (username: string): string => skeleton(usernameKey(username));

/** The normalised key of a reserved value. */
export function uniqueKey(kind: ReservedKind, value: string): string {
  if (kind === 'email') return emailKey(value);
  // '' (no username, the email user model) is a key nobody holds.
  if (value === '') return '';
  return kind === 'username' ? usernameKey(value) : usernameSkeleton(value);
}

/** The key the account holds for a reserved value. */
export const heldKey = (kind: ReservedKind, account: Account): string =>
  uniqueKey(kind, kind === 'email' ? account.email : account.username);

/** What a username (on the username model) reserves: its key, and its skeleton. */
export const usernameClaims = (username: string): [ReservedKind, string][] =>
  username === ''
    ? []
    : [
        ['username', usernameKey(username)],
        ['username_skeleton', usernameSkeleton(username)],
      ];

/** Django's BaseUserManager.normalize_email: the domain part is lower-cased, the local part kept as given. */
export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed;
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}
