// Username: the name and its lookup key.
import { usernameKey } from '../commands/normalize.js';
import type { Projection } from './projection.js';

export const usernameProjection: Projection = {
  UsernameChanged: (model, { data }, revision) =>
    model.updateUser(data.userId, revision, { username: data.username, usernameKey: usernameKey(data.username) }),
};
