// Logins and DRF tokens: last_login, and the token hash authentication looks up.
import type { Projection } from './projection.js';

export const tokensProjection: Projection = {
  UserLoggedIn: (model, { data }, revision) => model.updateUser(data.userId, revision, { lastLogin: new Date(data.at) }),
  AuthTokenCreated: (model, { data }, revision) =>
    model.setToken(data.userId, revision, { keyHash: data.keyHash, created: new Date(data.at) }),
  AuthTokenImported: (model, { data }, revision) =>
    model.setToken(data.userId, revision, { keyHash: data.keyHash, created: new Date(data.created) }),
  AuthTokenDestroyed: (model, { data }, revision) => model.setToken(data.userId, revision, null),
};
