// Profile: the user's own fields change (users/me/ PUT and PATCH).
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

export const profileEvents = {
  UserProfileUpdated: eventType({
    userId,
    email: z.string().optional(),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    at,
  }),
};
