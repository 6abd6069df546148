// Account ids. Integer ids (Django's AutoField) are handed out in order from the highest id the read model has
// seen, deleted accounts included, so an id is never reused. Uniqueness is the event store's: a registration
// appends to `user-<id>` expecting no stream, so of two processes that picked the same id exactly one succeeds;
// the other gets a stale_facts and asks for another id, refreshing its count from the read model first.
import { randomUUID } from 'node:crypto';
import type { ReadModel } from '../readmodel/port.js';

export interface UserIds {
  /** A fresh id; after a collision the caller says so, and the count catches up with the others. */
  next(options?: { afterCollision?: boolean }): Promise<string>;
}

export function userIds(type: 'integer' | 'uuid', readModel: Pick<ReadModel, 'maxIntegerId'>): UserIds {
  if (type === 'uuid') return { next: async () => randomUUID() };
  let last = 0;
  let seen: Promise<void> | null = null;
  const catchUp = async () => {
    last = Math.max(last, await readModel.maxIntegerId());
  };
  return {
    async next(options = {}) {
      if (options.afterCollision) seen = catchUp();
      await (seen ??= catchUp());
      // Synchronous from here: two calls of this process never get the same id.
      return String(++last);
    },
  };
}
