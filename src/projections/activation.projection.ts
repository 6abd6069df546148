// Activation: is_active.
import type { Projection } from './projection.js';

export const activationProjection: Projection = {
  UserActivated: (model, { data }, revision) => model.updateUser(data.userId, revision, { isActive: true }),
  UserDeactivated: (model, { data }, revision) => model.updateUser(data.userId, revision, { isActive: false }),
};
