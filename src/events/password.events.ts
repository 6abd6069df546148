// Password: set with the current one, or reset by an emailed link.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

export const passwordEvents = {
  PasswordChanged: eventType(
    { userId, passwordHash: z.string(), reason: z.enum(['set', 'reset']), at },
    { secret: ['passwordHash'], personal: ['passwordHash'] },
  ),
  /** `surface`: asked for on the dj-rest-auth surface (allauth's email and link); absent: djoser's. */
  PasswordResetRequested: eventType({ userId, surface: z.enum(['dj_rest_auth']).optional(), at }),
  /** The same password, hashed again at a login: an imported Django hash becomes argon2id. */
  PasswordRehashed: eventType({ userId, passwordHash: z.string(), at }, { secret: ['passwordHash'], personal: ['passwordHash'] }),
};
