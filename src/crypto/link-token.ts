// The uid and token in djoser's email links (activation, password reset,
// username reset), modelled on Django's PasswordResetTokenGenerator:
//   token = "<seconds since 2001-01-01, base36>-<HMAC-SHA256 hex>"
// The HMAC covers the parts of the account that a completed flow changes, so a
// link stops working once used without us storing anything: a password change
// replaces the hash, a login moves lastLogin, an email change moves email.
// Activation is not hashed, as in Django: a used activation link still checks
// out, and djoser answers it with its own 403 "Stale token for given user."
// Differences from Django, on purpose:
//   - each purpose has its own key, so an activation token is not a reset token
//     (Django uses one generator for all three);
//   - fields are JSON-encoded rather than concatenated (no ambiguity);
//   - the full 64-hex MAC is kept and the timestamp is UTC, except for the dj-rest-auth surface's reset links
//     (`allauth_password_reset`), which keep Django's 32 (every other hex digit), so frontends that copied
//     allauth's URL pattern for the token accept them.
// Pure: the caller supplies the time.

import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkPurpose = 'activation' | 'password_reset' | 'username_reset' | 'allauth_password_reset';

export interface LinkUserState {
  readonly id: string;
  readonly passwordHash: string | null;
  /** A Date or its ISO string (event payloads carry strings); both hash the same. */
  readonly lastLogin: Date | string | null;
  readonly email: string;
}

export interface MakeLinkTokenInput {
  readonly secret: string;
  readonly purpose: LinkPurpose;
  readonly user: LinkUserState;
  /** Unix time in seconds. */
  readonly nowSeconds: number;
}

export interface CheckLinkTokenInput extends MakeLinkTokenInput {
  readonly token: string;
  /** Defaults to Django's PASSWORD_RESET_TIMEOUT. */
  readonly timeoutSeconds?: number;
}

/** Django's PASSWORD_RESET_TIMEOUT: 3 days. */
export const DEFAULT_LINK_TOKEN_TIMEOUT_SECONDS = 60 * 60 * 24 * 3;

/** 2001-01-01T00:00:00Z in Unix seconds: Django's token epoch (keeps the base36 part short). */
const EPOCH_2001 = 978_307_200;

// At most 10 base36 digits keeps the number exact in a double (36^10 < 2^53).
const TOKEN_PATTERN = /^([0-9a-z]{1,10})-([0-9a-f]{64}|[0-9a-f]{32})$/;

/** Django's urlsafe_base64_encode(force_bytes(pk)): base64url of the UTF-8 bytes, no padding. */
export function encodeUid(userId: string): string {
  return Buffer.from(userId, 'utf8').toString('base64url');
}

const UID_PATTERN = /^[A-Za-z0-9_-]+$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The user id inside a uid, or null if the uid is not exactly what encodeUid
 * would produce (bad characters, padding, impossible length, stray bits,
 * invalid UTF-8). Never throws, whatever the input.
 */
export function decodeUid(uid: unknown): string | null {
  if (typeof uid !== 'string' || !UID_PATTERN.test(uid) || uid.length % 4 === 1) return null;
  const bytes = Buffer.from(uid, 'base64url');
  // Re-encoding rejects non-canonical spellings such as non-zero trailing bits.
  if (bytes.toString('base64url') !== uid) return null;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

export function makeLinkToken({ secret, purpose, user, nowSeconds }: MakeLinkTokenInput): string {
  const timestamp = Math.floor(nowSeconds) - EPOCH_2001;
  if (!Number.isFinite(timestamp) || timestamp < 0) throw new RangeError(`nowSeconds out of range: ${nowSeconds}`);
  return tokenFor(secret, purpose, user, timestamp);
}

/** True only for a well-formed, unexpired token made for this purpose and this exact user state. Never throws. */
export function checkLinkToken(input: CheckLinkTokenInput): boolean {
  try {
    const { secret, purpose, user, token, nowSeconds } = input;
    const timeoutSeconds = input.timeoutSeconds ?? DEFAULT_LINK_TOKEN_TIMEOUT_SECONDS;
    if (typeof token !== 'string') return false;
    const match = TOKEN_PATTERN.exec(token);
    if (!match) return false;
    const timestamp = parseInt(match[1]!, 36);

    // Compare the whole token so that a non-canonical timestamp spelling fails too.
    const expected = Buffer.from(tokenFor(secret, purpose, user, timestamp));
    const given = Buffer.from(token);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return false;

    // Same rule as Django: older than the timeout is expired (a future
    // timestamp could only come from someone holding the secret).
    const age = Math.floor(nowSeconds) - EPOCH_2001 - timestamp;
    return Number.isFinite(age) && age <= timeoutSeconds;
  } catch {
    return false;
  }
}

function tokenFor(secret: string, purpose: LinkPurpose, user: LinkUserState, timestamp: number): string {
  // A key per purpose, derived from the secret: HMAC(secret, salt) rather than
  // Django's sha256(salt + secret), which is the textbook-safe form.
  const key = createHmac('sha256', secret).update(`authstream.link-token.${purpose}`).digest();
  const hashed = JSON.stringify([
    user.id,
    user.passwordHash,
    user.lastLogin === null ? null : String(new Date(user.lastLogin).getTime()), // ms; "NaN" if unparseable, never null
    timestamp,
    user.email,
  ]);
  const mac = createHmac('sha256', key).update(hashed).digest('hex');
  // Django's salted_hmac(...).hexdigest()[::2].
  const kept = purpose === 'allauth_password_reset' ? [...mac].filter((_c, i) => i % 2 === 0).join('') : mac;
  return `${timestamp.toString(36)}-${kept}`;
}
