// Registration: an account comes into being, or a registration that never finished is fenced out.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

export const registrationEvents = {
  UserRegistered: eventType(
    {
      userId,
      username: z.string(),
      email: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      /** argon2id PHC string; null for an unusable password. */
      passwordHash: z.string().nullable(),
      isActive: z.boolean(),
      at,
    },
    { secret: ['passwordHash'] },
  ),
  /** Written by whoever reclaims a name whose registration never completed: fences the late registration out. */
  RegistrationVoided: eventType({ userId, at }),
  /** Written by whoever reclaims a name or email this account claimed but never took (a rename that died). */
  ClaimVoided: eventType({ userId, field: z.enum(['username', 'email']), at }),
};
