// Username: set with the current password, or reset by an emailed link.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

export const usernameEvents = {
  UsernameChanged: eventType({ userId, username: z.string(), reason: z.enum(['set', 'reset']), at }, { personal: ['username'] }),
  UsernameResetRequested: eventType({ userId, at }),
};
