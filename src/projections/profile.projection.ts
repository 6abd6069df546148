// Profile: the user's own fields and the email address.
import { emailKeyOf } from './lookup-keys.js';
import type { Projection } from './projection.js';

export const profileProjection: Projection = {
  UserProfileUpdated: (model, { data }, revision) =>
    model.updateUser(data.userId, revision, {
      ...(data.email !== undefined ? { email: data.email, emailKey: emailKeyOf(data.email) } : {}),
      ...(data.firstName !== undefined ? { firstName: data.firstName } : {}),
      ...(data.lastName !== undefined ? { lastName: data.lastName } : {}),
      ...(data.profile !== undefined ? { profile: data.profile } : {}),
    }),
  EmailChanged: (model, { data }, revision) =>
    model.updateUser(data.userId, revision, { email: data.email, emailKey: emailKeyOf(data.email) }),
};
