// Profile: the user's own fields change (users/me/ PUT and PATCH, users/<id>/ by staff), and the email address.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';
import { profile } from './registration.events.js';

export const profileEvents = {
  UserProfileUpdated: eventType(
    {
      userId,
      /** Only in events written before EmailChanged existed. */
      email: z.string().optional(),
      firstName: z.string().optional(),
      lastName: z.string().optional(),
      /** The model's own fields that changed. */
      profile: profile.optional(),
      at,
    },
    { personal: ['email', 'firstName', 'lastName', 'profile'], erased: { profile: {} } },
  ),
  /** The address changed: through users/me/, set_email / reset_email_confirm on the email model, or by staff. */
  EmailChanged: eventType(
    { userId, email: z.string(), previousEmail: z.string(), reason: z.enum(['profile', 'set', 'reset']), at },
    { personal: ['email', 'previousEmail'] },
  ),
};
