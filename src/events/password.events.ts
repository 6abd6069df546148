// Password: set with the current one, or reset by an emailed link.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

export const passwordEvents = {
  PasswordChanged: eventType({ userId, passwordHash: z.string(), reason: z.enum(['set', 'reset']), at }, { secret: ['passwordHash'] }),
  PasswordResetRequested: eventType({ userId, at }),
  /** The same password, hashed again at a login: an imported Django hash becomes argon2id. */
  PasswordRehashed: eventType({ userId, passwordHash: z.string(), at }, { secret: ['passwordHash'] }),
};
