// What the djoser surface's routes are built from.
import type { Config } from '../../config.js';
import type { UseCases } from '../../commands/use-cases.js';

export interface RouteDeps {
  readonly config: Config;
  readonly useCases: UseCases;
}
