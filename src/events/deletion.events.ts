// Deletion: the account is gone; its names are free again. Erasure: its key is destroyed, so the personal data in
// its events (sealed with that key) reads "[erased]" from then on; subscribers get user.erased to forget it too.
import { at, eventType, userId } from './event-type.js';

export const deletionEvents = {
  UserDeleted: eventType({ userId, at }),
  /** The account's key was destroyed (deletion, or `authstream erase`): its personal data is unreadable for good. */
  UserErased: eventType({ userId, at }),
};
