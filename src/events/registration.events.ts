// Registration: an account comes into being, or a registration that never finished is fenced out.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

/** The model's own fields (USER_FIELDS), by name. */
export const profile = z.record(z.string(), z.string());

// The account's personal data (the password hash too: it is a function of the password). Erased, the hash is
// "no usable password" and the profile empty.
const PERSONAL = ['username', 'email', 'firstName', 'lastName', 'profile', 'passwordHash'] as const;
const ERASED_ACCOUNT = { profile: {}, passwordHash: null };

export const registrationEvents = {
  UserRegistered: eventType(
    {
      userId,
      /** '' on the email user model, which has no username. */
      username: z.string(),
      email: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      profile,
      /** argon2id PHC string; null for an unusable password. */
      passwordHash: z.string().nullable(),
      isActive: z.boolean(),
      isStaff: z.boolean(),
      isSuperuser: z.boolean(),
      at,
    },
    {
      version: 2,
      secret: ['passwordHash'],
      personal: PERSONAL,
      erased: ERASED_ACCOUNT,
      // v2 added the model's own fields and the staff flags; every account registered before had neither.
      upcasters: { 1: (data) => ({ ...data, v: 2, profile: {}, isStaff: false, isSuperuser: false }) },
    },
  ),
  /** An account brought across from Django (`authstream import-django`), as Django had it. */
  UserImported: eventType(
    {
      userId,
      username: z.string(),
      email: z.string(),
      firstName: z.string(),
      lastName: z.string(),
      profile,
      /** Django's encoded hash (pbkdf2_sha256$…, argon2$…, bcrypt…), rehashed to argon2id at the next login; null: unusable. */
      passwordHash: z.string().nullable(),
      isActive: z.boolean(),
      isStaff: z.boolean(),
      isSuperuser: z.boolean(),
      dateJoined: z.iso.datetime(),
      lastLogin: z.iso.datetime().nullable(),
      source: z.literal('django'),
      at,
    },
    { secret: ['passwordHash'], personal: PERSONAL, erased: ERASED_ACCOUNT },
  ),
  /** Written by whoever reclaims a name whose registration never completed: fences the late registration out. */
  RegistrationVoided: eventType({ userId, at }),
  /** Written by whoever reclaims a name or email this account claimed but never took (a rename that died). */
  ClaimVoided: eventType({ userId, field: z.enum(['username', 'email', 'username_skeleton']), at }),
};
