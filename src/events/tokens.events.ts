// Logins and DRF auth tokens.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

export const tokenEvents = {
  UserLoggedIn: eventType({ userId, at }),
  AuthTokenCreated: eventType(
    {
      userId,
      /** Random id; the key handed out is HMAC(secret, tokenId), so it is never stored anywhere. */
      tokenId: z.string(),
      /** sha256 of the key, what authentication looks up. */
      keyHash: z.string(),
      at,
    },
    { secret: ['tokenId', 'keyHash'] },
  ),
  /** A DRF token brought across from Django: its key sealed with SECRET_KEY, so a login can hand it out again. */
  AuthTokenImported: eventType(
    { userId, keyHash: z.string(), sealedKey: z.string(), created: z.iso.datetime(), at },
    { secret: ['keyHash', 'sealedKey'] },
  ),
  AuthTokenDestroyed: eventType({ userId, at }),
};
