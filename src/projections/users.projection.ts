// Projects account events into the read model (users and their auth token). Every write is guarded by the event's
// stream revision inside the read model, so applying an event twice, or late, changes nothing.
import type { ReadModel } from '../readmodel/port.js';
import type { RecordedEvent } from '../store/port.js';
import { isUserStream, parseUserEvent, type UserEvent } from '../events/user.events.js';
import { emailKey, usernameKey } from '../commands/normalize.js';

export async function projectUserEvent(model: ReadModel, event: UserEvent, revision: number): Promise<void> {
  const id = event.data.userId;
  switch (event.type) {
    case 'UserRegistered': {
      const d = event.data;
      await model.insertUser({
        id,
        username: d.username,
        usernameKey: usernameKey(d.username),
        email: d.email,
        emailKey: emailKey(d.email),
        firstName: d.firstName,
        lastName: d.lastName,
        isActive: d.isActive,
        dateJoined: new Date(d.at),
        lastLogin: null,
        revision,
      });
      return;
    }
    case 'UserActivated':
      await model.updateUser(id, revision, { isActive: true });
      return;
    case 'UserDeactivated':
      await model.updateUser(id, revision, { isActive: false });
      return;
    case 'UserProfileUpdated': {
      const { email, firstName, lastName } = event.data;
      await model.updateUser(id, revision, {
        ...(email !== undefined ? { email, emailKey: emailKey(email) } : {}),
        ...(firstName !== undefined ? { firstName } : {}),
        ...(lastName !== undefined ? { lastName } : {}),
      });
      return;
    }
    case 'UsernameChanged':
      await model.updateUser(id, revision, { username: event.data.username, usernameKey: usernameKey(event.data.username) });
      return;
    case 'UserLoggedIn':
      await model.updateUser(id, revision, { lastLogin: new Date(event.data.at) });
      return;
    case 'UserDeleted':
      await model.deleteUser(id, revision);
      return;
    case 'AuthTokenCreated':
      await model.setToken(id, revision, { keyHash: event.data.keyHash, created: new Date(event.data.at) });
      return;
    case 'AuthTokenDestroyed':
      await model.setToken(id, revision, null);
      return;
    case 'RegistrationVoided':
    case 'ClaimVoided':
    case 'ActivationEmailRequested':
    case 'PasswordChanged':
    case 'PasswordResetRequested':
    case 'UsernameResetRequested':
      return; // nothing the read model shows
  }
}

/** The runner's handler: account events go to the read model; other streams (reservations) show nothing. */
export function usersProjection(model: ReadModel) {
  return async (event: RecordedEvent): Promise<void> => {
    if (!isUserStream(event.streamId)) return;
    await projectUserEvent(model, parseUserEvent(event.type, event.data), Number(event.revision));
  };
}
