// Registration: a new user document.
import { emailKey, usernameKey } from '../commands/normalize.js';
import type { Projection } from './projection.js';

export const registrationProjection: Projection = {
  UserRegistered: (model, { data }, revision) =>
    model.insertUser({
      id: data.userId,
      username: data.username,
      usernameKey: usernameKey(data.username),
      email: data.email,
      emailKey: emailKey(data.email),
      firstName: data.firstName,
      lastName: data.lastName,
      isActive: data.isActive,
      dateJoined: new Date(data.at),
      lastLogin: null,
      revision,
    }),
};
