// The email-confirmation keys of the dj-rest-auth surface, shaped like django-allauth 0.51's HMAC keys
// (django.core.signing.dumps(pk, salt="account")):
//   <urlsafe base64 of the JSON user id, no padding>:<base62 Unix timestamp>:<43-char urlsafe base64 HMAC-SHA256>
// allauth signs the EmailAddress row's pk; authstream signs the account id (an account has one address). The MAC
// is authstream's own, under a key derived from SECRET_KEY for this purpose only, so a key cannot be forged and
// says whose it is without any lookup. It is deterministic in (account id, second): the decider stores the hash of
// the key of each request (single use, bound to the address it was sent to), and the email consumer rebuilds the
// key from the request event. Pure: the caller supplies the time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { userId as userIdSchema } from '../events/event-type.js';

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Django's signing.b62_encode. */
export function b62Encode(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`cannot base62-encode ${value}`);
  let out = '';
  for (let n = value; ; n = Math.floor(n / 62)) {
    out = B62[n % 62]! + out;
    if (n < 62) return out;
  }
}

/** Django's signing.b62_decode; null for anything else (a sign, another alphabet, too large). */
export function b62Decode(text: string): number | null {
  if (!/^[0-9A-Za-z]{1,9}$/.test(text)) return null;
  let n = 0;
  for (const c of text) n = n * 62 + B62.indexOf(c);
  return n;
}

const macKey = (secret: string) => createHmac('sha256', secret).update('authstream.email-confirmation-key').digest();
const mac = (secret: string, signed: string) => createHmac('sha256', macKey(secret)).update(signed).digest('base64url');

/** The JSON form of an account id, as Django's serializer writes a pk: a number for integer ids, else a string. */
const jsonId = (userId: string) => (/^[1-9][0-9]{0,15}$/.test(userId) ? userId : JSON.stringify(userId));

/** The key of a confirmation requested for this account at this Unix second. */
export function emailConfirmationKey(secret: string, userId: string, seconds: number): string {
  const signed = `${Buffer.from(jsonId(userId), 'utf8').toString('base64url')}:${b62Encode(Math.floor(seconds))}`;
  return `${signed}:${mac(secret, signed)}`;
}

/** A key's account id and signing time if its MAC is ours; null for anything else. Never throws. */
export function readEmailConfirmationKey(secret: string, key: unknown): { userId: string; seconds: number } | null {
  if (typeof key !== 'string' || key.length > 200) return null;
  const parts = key.split(':');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]{43}$/.test(parts[2]!)) return null;
  const signed = `${parts[0]}:${parts[1]}`;
  const expected = Buffer.from(mac(secret, signed));
  const given = Buffer.from(parts[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  const seconds = b62Decode(parts[1]!);
  let id: unknown;
  try {
    id = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const userId = typeof id === 'number' ? String(id) : id;
  if (seconds === null || !userIdSchema.safeParse(userId).success) return null;
  return { userId: userId as string, seconds };
}

/** What the log keeps of a key: its sha256, never the key. */
export const hashEmailConfirmationKey = (key: string): string => createHash('sha256').update(key).digest('hex');
