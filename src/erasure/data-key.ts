// The data key: what wraps every account's own key (crypto-shredding), names the streams of values (reservations,
// mailboxes) by keyed hashes and hashes unknown logins. It lives in the configuration (DATA_KEY, else SECRET_KEY)
// and must never change, or the stored keys cannot be opened and the names no longer match: before rotating
// SECRET_KEY, set DATA_KEY to its old value.
import { hkdfSync } from 'node:crypto';

export interface DataKeys {
  /** The key-encryption key: wraps each account's data key. */
  readonly kek: Buffer;
}

export function dataKeys(dataKey: string): DataKeys {
  return {
    kek: Buffer.from(hkdfSync('sha256', Buffer.from(dataKey, 'utf8'), Buffer.alloc(0), 'authstream.account-key-encryption.v1', 32)),
  };
}

/** The key that names value streams (reservationStream, mailboxStream) and hashes unknown logins (loginDigest). */
export const namingKey = (config: { readonly DATA_KEY?: string | undefined }, secretKey: string): string => config.DATA_KEY ?? secretKey;
