// The uid of dj-rest-auth's password-reset links: allauth 0.51's user_pk_to_url_str / url_str_to_user_pk
// (allauth/account/utils.py), not Django's base64 — base36 for an integer pk (1 → "1", 36 → "10"), the 32 hex digits
// of uuid.hex for a UUID pk.

/** allauth's user_pk_to_url_str. */
export function encodeAllauthUid(userId: string): string {
  if (/^[1-9][0-9]*$/.test(userId)) return BigInt(userId).toString(36);
  return userId.replaceAll('-', '').toLowerCase();
}

export type AllauthUid =
  | { readonly userId: string }
  /** Not a uid of any account (allauth: `Invalid value`). */
  | { readonly invalid: true }
  /** A UUID pk model given something that is no UUID: Django's message escapes allauth's except clause. */
  | { readonly notUuid: string };

/** allauth's url_str_to_user_pk, for the configured id type. */
export function decodeAllauthUid(uid: string, idType: 'integer' | 'uuid'): AllauthUid {
  if (idType === 'integer') {
    // Python's int(s, 36): surrounding whitespace and one sign allowed; only positive pks name a user.
    const s = uid.trim();
    if (!/^\+?[0-9a-z]{1,12}$/i.test(s)) return { invalid: true };
    const n = parseInt(s.replace(/^\+/, ''), 36);
    return n >= 1 && Number.isSafeInteger(n) ? { userId: String(n) } : { invalid: true };
  }
  // uuid.UUID(s): braces and urn:uuid: stripped, dashes removed, then 32 hex digits.
  const hex = uid
    .trim()
    .replace(/^urn:uuid:/i, '')
    .replace(/^\{(.*)\}$/, '$1')
    .replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return { notUuid: uid };
  const h = hex.toLowerCase();
  return { userId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` };
}
