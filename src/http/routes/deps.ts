// What the djoser surface's routes are built from.
import type { Config } from '../../config.js';
import type { UseCases } from '../../commands/use-cases.js';
import type { UserModel } from '../../user-model.js';
import type { UserFields } from './user-fields.js';

export interface RouteDeps {
  readonly config: Config;
  readonly useCases: UseCases;
  readonly model: UserModel;
  /** The user serializers over that model. */
  readonly users: UserFields;
}
