// Folded stream states, kept by revision. Streams only grow, so a state folded up to a revision stays true: the
// handler reads only what came after it. Without it an account that logs in often (a service account) would be
// re-read and re-validated in full on every login. Bounded: the least recently used entries go first.
import { BoundedMap } from '../bounded-map.js';

export interface Folded<State> {
  readonly state: State;
  readonly revision: bigint;
}

export interface StateCache<State> {
  get(streamId: string): Folded<State> | undefined;
  set(streamId: string, folded: Folded<State>): void;
}

export function lruStateCache<State>(limit = 10_000): StateCache<State> {
  const entries = new BoundedMap<string, Folded<State>>(limit);
  return {
    get: (streamId) => entries.get(streamId),
    set(streamId, folded) {
      entries.delete(streamId);
      entries.set(streamId, folded);
    },
  };
}

/** For tests and one-off tools: remembers nothing. */
export const noStateCache = <State>(): StateCache<State> => ({ get: () => undefined, set: () => {} });
