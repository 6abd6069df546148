// The data key: what wraps every account's own key (crypto-shredding). Unlike the keys it wraps it lives in the
// configuration (DATA_KEY, else derived from SECRET_KEY); it must never change, or the stored keys cannot be opened.
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
