// DRF-style auth tokens ("Authorization: Token <40 hex>"), one per user. Neither the key nor anything that yields it
// without the secret is stored: the event keeps a random tokenId and sha256(key); the key is HMAC(secret, tokenId),
// so a second login can hand out the same key again, as DRF's get_or_create does.
import { createHash, createHmac, randomUUID } from 'node:crypto';

/**
 * 32 hex digits (122 random bits): it needs to be unique, not secret (the key needs the secret too). randomUUID draws
 * from a buffer of random bytes, where randomBytes(16) asks the CSPRNG at every login.
 */
export const newTokenId = (): string => randomUUID().replaceAll('-', '');

export const tokenKey = (secret: string, tokenId: string): string =>
  createHmac('sha256', secret).update(`authstream.authtoken:${tokenId}`).digest('hex').slice(0, 40);

export const hashTokenKey = (key: string): string => createHash('sha256').update(key).digest('hex');
