// Registration and import: a new user document.
import { emailKeyOf, usernameKeyOf } from './lookup-keys.js';
import type { EventOf } from '../events/user.events.js';
import type { UserDoc } from '../readmodel/port.js';
import type { Projection } from './projection.js';

type Created = EventOf<'UserRegistered'>['data'] | EventOf<'UserImported'>['data'];

function userDoc(data: Created, revision: number, dateJoined: string, lastLogin: string | null): UserDoc {
  return {
    id: data.userId,
    username: data.username,
    usernameKey: usernameKeyOf(data.username),
    email: data.email,
    emailKey: emailKeyOf(data.email),
    firstName: data.firstName,
    lastName: data.lastName,
    profile: data.profile,
    isActive: data.isActive,
    isStaff: data.isStaff,
    isSuperuser: data.isSuperuser,
    sessionEpoch: 0,
    revokedSessions: [],
    dateJoined: new Date(dateJoined),
    lastLogin: lastLogin === null ? null : new Date(lastLogin),
    revision,
  };
}

export const registrationProjection: Projection = {
  UserRegistered: (model, { data }, revision) => model.insertUser(userDoc(data, revision, data.at, null)),
  UserImported: (model, { data }, revision) => model.insertUser(userDoc(data, revision, data.dateJoined, data.lastLogin)),
};
