// Account ids. Integer ids (Django's AutoField) are handed out in order from the highest id the read model has
// seen, deleted accounts included, so an id is never reused. Uniqueness is the event store's: a registration
// appends to `user-<id>` expecting no stream, so of two processes that picked the same id exactly one succeeds;
// the other gets a stale_facts and asks for another id, naming the one it lost.
//
// Two processes registering at once climb the same ids side by side: a loser that simply took the next id would
// meet the other process there again, and again (lockstep). So a loser steps past the id it lost by a small random
// stride, which puts it ahead of the other process instead of level with it; ids may then have gaps, as Django's
// sequences do after a rollback.
import { randomUUID } from 'node:crypto';
import type { ReadModel } from '../readmodel/port.js';

export interface UserIds {
  /** A fresh id; after a collision the caller names the id it lost, and the count moves past it. */
  next(options?: { lost?: string }): Promise<string>;
}

/** The widest random step past a lost id; small, so that gaps stay small. */
const MAX_STRIDE = 4;

export function userIds(type: 'integer' | 'uuid', readModel: Pick<ReadModel, 'maxIntegerId'>, random: () => number = Math.random): UserIds {
  if (type === 'uuid') return { next: async () => randomUUID() };
  let last = 0;
  let seen: Promise<void> | null = null;
  const catchUp = async () => {
    last = Math.max(last, await readModel.maxIntegerId());
  };
  return {
    async next(options = {}) {
      if (options.lost !== undefined) seen = catchUp();
      await (seen ??= catchUp());
      // Synchronous from here: two calls of this process never get the same id.
      if (options.lost !== undefined) last = Math.max(last, Number(options.lost)) + Math.floor(random() * MAX_STRIDE);
      return String(++last);
    },
  };
}
