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

// Streams only grow, so a state folded up to a revision stays true: keep the latest per account and read only what
// came after it. Without this, an account that logs in often (a service account) would be re-read and re-validated
// in full on every login. Bounded: the least recently used entries go first.
const CACHE_LIMIT = 10_000;
const folded = new WeakMap<EventStore, Map<string, { state: UserState; revision: bigint }>>();

export async function loadUser(store: EventStore, userId: string): Promise<LoadedUser> {
  let cache = folded.get(store);
  if (!cache) folded.set(store, (cache = new Map()));
  const cached = cache.get(userId);
  const recorded = await store.readStream(userStream(userId), cached ? { fromRevision: cached.revision + 1n } : {});
  const state = recorded.map((e) => parseUserEvent(e.type, e.data)).reduce(evolve, cached?.state ?? initialState());
  const revision = recorded.at(-1)?.revision ?? cached?.revision;
  if (revision === undefined) return { state, expected: 'no_stream' };
  cache.delete(userId);
  cache.set(userId, { state, revision });
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return { state, expected: revision };
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
