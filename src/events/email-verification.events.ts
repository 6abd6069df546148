// Email verification (the dj-rest-auth surface's registration/verify-email/, allauth's EmailAddress.verified): a
// confirmation key is sent to the account's address, and the address is verified by it — or by a djoser activation
// link, which proves the mailbox just as well.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

export const emailVerificationEvents = {
  /**
   * A confirmation email is due, for the address the account has now. Only the key's sha256 is kept (the key is
   * HMAC(SECRET_KEY, account id, the second of `at`), rebuilt by the email consumer); it is good until `expires`,
   * once. `signup`: asked for by a registration; `resend`: by resend-email.
   */
  EmailVerificationRequested: eventType(
    { userId, keyHash: z.string(), expires: z.iso.datetime(), source: z.enum(['signup', 'resend']), at },
    { secret: ['keyHash'] },
  ),
  /** The address was verified: by a confirmation key (`key`), or by a djoser activation link (`activation`). */
  EmailVerified: eventType({ userId, email: z.string(), method: z.enum(['key', 'activation']), at }, { personal: ['email'] }),
};
