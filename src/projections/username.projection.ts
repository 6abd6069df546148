// Username: the name and its lookup key.
import { usernameKeyOf } from './lookup-keys.js';
import type { Projection } from './projection.js';

export const usernameProjection: Projection = {
  UsernameChanged: (model, { data }, revision) =>
    model.updateUser(data.userId, revision, { username: data.username, usernameKey: usernameKeyOf(data.username) }),
};
