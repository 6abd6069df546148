// How each flow says what its events do to the account state: a partial map from event type to a fold step.
// account.decider.ts merges every flow's map into the decider's evolve.
import type { EventOf, UserEventType } from '../events/user.events.js';
import { isAccount, type Account, type UserState } from './account.state.js';

export type Evolvers = { readonly [T in UserEventType]?: (state: UserState, event: EventOf<T>) => UserState };

/** A fold step that only applies to a live account (events of other states change nothing). */
export const onAccount =
  <T extends UserEventType>(step: (account: Account, event: EventOf<T>) => UserState) =>
  (state: UserState, event: EventOf<T>): UserState =>
    isAccount(state) ? step(state, event) : state;

/** An event that records something happened without changing the state (an email request, say). */
export const unchanged = (state: UserState): UserState => state;
