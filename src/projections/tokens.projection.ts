// Logins, DRF tokens and JWT sessions: last_login, the token hash authentication looks up, and what makes a JWT
// refused on every instance (the session epoch, sessions ended one by one).
import type { Projection } from './projection.js';

// A session's access tokens live no longer than its refresh token: once past that, its entry can go.
const expired = (entry: string, at: number) => Number(entry.slice(entry.lastIndexOf('@') + 1)) * 1000 <= at;

export const tokensProjection: Projection = {
  UserLoggedIn: (model, { data }, revision) => model.updateUser(data.userId, revision, { lastLogin: new Date(data.at) }),
  AuthTokenCreated: (model, { data }, revision) =>
    model.setToken(data.userId, revision, { keyHash: data.keyHash, created: new Date(data.at) }),
  AuthTokenImported: (model, { data }, revision) =>
    model.setToken(data.userId, revision, { keyHash: data.keyHash, created: new Date(data.created) }),
  AuthTokenDestroyed: (model, { data }, revision) => model.setToken(data.userId, revision, null),
  AllSessionsRevoked: (model, { data }, revision) =>
    model.updateUser(data.userId, revision, { sessionEpoch: data.epoch, revokedSessions: [] }),
  // The document keeps a revoked session only while one of its access tokens may still be alive: until the latest
  // exp among them (its refresh tokens are checked against the log), else, for a session older than that record,
  // until the session would have expired. So a session ended long after its last use (one pushed out by
  // MAX_SESSIONS_PER_USER, most often) adds nothing, and the list stays as short as ACCESS_TOKEN_LIFETIME makes it.
  // Events of one stream are applied in order and the write is guarded by revision, so reading the document first
  // is safe.
  SessionRevoked: async (model, { data }, revision) => {
    const user = await model.findUserById(data.userId);
    if (!user || user.revision >= revision) return;
    const at = Date.parse(data.at);
    const bound = Math.min(Date.parse(data.expires), data.accessExpires === undefined ? Infinity : Date.parse(data.accessExpires));
    const until = Math.ceil(bound / 1000);
    const kept = user.revokedSessions.filter((entry) => !expired(entry, at));
    const entry = `${data.sessionId}@${until}`;
    await model.updateUser(data.userId, revision, { revokedSessions: expired(entry, at) ? kept : [...kept, entry] });
  },
};
