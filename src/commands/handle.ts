// The command handler: read the stream → fold → decide → append with the revision read → retry on a conflict.
import { ConcurrencyError, type AppendResult, type EventStore, type ExpectedRevision } from '../store/port.js';
import { parseUserEvent, userStream, type UserEvent } from '../events/user.events.js';
import { decide, evolve, initialState, type Timed, type UserCommand, type UserState } from './user.decider.js';

const MAX_ATTEMPTS = 5;

export interface CommandResult {
  /** The state after the new events. */
  readonly state: UserState;
  readonly events: readonly UserEvent[];
  /** Where the events landed; null when the commands decided nothing. */
  readonly appended: AppendResult | null;
}

export interface LoadedUser {
  readonly state: UserState;
  readonly expected: ExpectedRevision;
}

export async function loadUser(store: EventStore, userId: string): Promise<LoadedUser> {
  const recorded = await store.readStream(userStream(userId));
  const state = recorded.map((e) => parseUserEvent(e.type, e.data)).reduce(evolve, initialState());
  const last = recorded.at(-1);
  return { state, expected: last ? last.revision : 'no_stream' };
}

/**
 * Runs commands against one account atomically. `commandsFor` sees the current state and may do async work first
 * (verify a password, hash a new one); it runs again if another writer got in between.
 */
export async function handleUserCommands(
  store: EventStore,
  newEventId: () => string,
  userId: string,
  commandsFor: (state: UserState) => Promise<Timed<UserCommand>[]> | Timed<UserCommand>[],
): Promise<CommandResult> {
  for (let attempt = 1; ; attempt++) {
    const { state, expected } = await loadUser(store, userId);
    const commands = await commandsFor(state);
    let next = state;
    const events: UserEvent[] = [];
    for (const command of commands) {
      const decided = decide(command, next);
      next = decided.reduce(evolve, next);
      events.push(...decided);
    }
    if (events.length === 0) return { state: next, events, appended: null };
    try {
      const appended = await store.append(
        userStream(userId),
        events.map((e) => ({ id: newEventId(), type: e.type, data: e.data })),
        expected,
      );
      return { state: next, events, appended };
    } catch (error) {
      if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}
