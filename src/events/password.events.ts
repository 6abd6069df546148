// Password: set with the current one, or reset by an emailed link.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

export const passwordEvents = {
  PasswordChanged: eventType({ userId, passwordHash: z.string(), reason: z.enum(['set', 'reset']), at }, { secret: ['passwordHash'] }),
  PasswordResetRequested: eventType({ userId, at }),
};
