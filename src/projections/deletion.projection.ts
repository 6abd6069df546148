// Deletion: the user and their token go; a tombstone keeps a late event from bringing them back.
import type { Projection } from './projection.js';

export const deletionProjection: Projection = {
  UserDeleted: (model, { data }, revision) => model.deleteUser(data.userId, revision),
};
