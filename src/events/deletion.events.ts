// Deletion: the account is gone; its names are free again.
import { at, eventType, userId } from './event-type.js';

export const deletionEvents = {
  UserDeleted: eventType({ userId, at }),
};
