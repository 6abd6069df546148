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
  AuthTokenDestroyed: eventType({ userId, at }),
};
