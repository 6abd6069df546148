// DRF-style auth tokens ("Authorization: Token <40 hex>"), one per user. Neither the key nor anything that yields it
// without the secret is stored: the event keeps a random tokenId and sha256(key); the key is HMAC(secret, tokenId),
// so a second login can hand out the same key again, as DRF's get_or_create does.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export const newTokenId = (): string => randomBytes(16).toString('hex');

export const tokenKey = (secret: string, tokenId: string): string =>
  createHmac('sha256', secret).update(`authstream.authtoken:${tokenId}`).digest('hex').slice(0, 40);

export const hashTokenKey = (key: string): string => createHash('sha256').update(key).digest('hex');
