// Normalised forms for lookups and uniqueness. Usernames compare case-insensitively after Unicode NFKC (Django
// normalises with NFKC too; we also fold case, so "Alice" and "alice" cannot be two accounts).
import type { Account } from './account.state.js';
import type { UniqueField } from './decider.js';

export const usernameKey = (username: string): string => username.normalize('NFKC').toLowerCase();

/** Emails compare case-insensitively; '' (no email) is never a key anyone can hold. */
export const emailKey = (email: string): string => email.trim().toLowerCase();

/** The normalised key of a unique value. */
export const uniqueKey = (field: UniqueField, value: string): string => (field === 'username' ? usernameKey(value) : emailKey(value));

/** The key the account holds for a unique field. */
export const heldKey = (field: UniqueField, account: Account): string =>
  uniqueKey(field, field === 'username' ? account.username : account.email);

/** Django's BaseUserManager.normalize_email: the domain part is lower-cased, the local part kept as given. */
export function normalizeEmail(email: string): string {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed;
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}
