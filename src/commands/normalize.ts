// Normalised forms for lookups and uniqueness. Usernames compare case-insensitively after Unicode NFKC (Django
// normalises with NFKC too; we also fold case, so "Alice" and "alice" cannot be two accounts).
export const usernameKey = (username: string): string => username.normalize('NFKC').toLowerCase();

/** Emails compare case-insensitively; '' (no email) is never a key anyone can hold. */
export const emailKey = (email: string): string => email.trim().toLowerCase();

/** Django's BaseUserManager.normalize_email: the domain part is lower-cased, the local part kept as given. */
export function normalizeEmail(email: string): string {
  const at = email.trim().lastIndexOf('@');
  if (at < 0) return email.trim();
  const trimmed = email.trim();
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}
