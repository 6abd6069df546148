// Activation: an account becomes active (by its emailed link), or inactive again, and activation emails are asked for.
import { z } from 'zod';
import { at, eventType, userId } from './event-type.js';

export const activationEvents = {
  UserActivated: eventType({ userId, at }),
  UserDeactivated: eventType({ userId, reason: z.enum(['email_changed', 'staff']), at }),
  /** `resend`: asked for by resend_activation (a registration or an email change asks without saying so). */
  ActivationEmailRequested: eventType({ userId, source: z.enum(['resend']).optional(), at }),
};
