// The one command handler (emmett's DeciderCommandHandler): read the stream → fold → decide → append with the
// revision read as the expected revision. Another writer in between makes the append fail; then it reads again and
// decides again, a bounded number of times with jittered backoff, so a flood of writers cannot spin it forever.
import { ConcurrencyError, type AppendResult, type EventStore, type ExpectedRevision, type RecordedEvent } from '../store/port.js';
import { DomainError, type Decider } from './decider.js';
import type { StateCache } from './state-cache.js';

/** How a stream's events are stored: parsed (and upcast) on the way in, typed and serialised on the way out. */
export interface EventCodec<Event> {
  parse(recorded: RecordedEvent): Event;
  serialize(event: Event): { type: string; data: Record<string, unknown> };
}

export interface HandlerOptions<State, Command, Event> {
  readonly store: EventStore;
  readonly decider: Decider<State, Command, Event>;
  readonly codec: EventCodec<Event>;
  readonly cache: StateCache<State>;
  readonly newEventId: () => string;
  readonly maxAttempts?: number;
  /** Backoff before attempt n is random in [0, baseDelayMs · 2^(n-1)]. */
  readonly baseDelayMs?: number;
}

export interface Loaded<State> {
  readonly state: State;
  readonly expected: ExpectedRevision;
}

export interface Handled<State, Event> {
  /** The state after the new events. */
  readonly state: State;
  readonly events: readonly Event[];
  /** Where they landed; null when the command decided nothing. */
  readonly appended: AppendResult | null;
}

/** Metadata stored with every event of one command (correlation, actor, client …). */
export type EventMetadata = Readonly<Record<string, unknown>>;

export class CommandHandler<State, Command, Event> {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;

  constructor(private readonly options: HandlerOptions<State, Command, Event>) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.baseDelayMs = options.baseDelayMs ?? 5;
  }

  /** The stream's current state, as the event store has it now (strongly consistent). */
  async load(streamId: string): Promise<Loaded<State>> {
    const { store, decider, codec, cache } = this.options;
    const cached = cache.get(streamId);
    const recorded = await store.readStream(streamId, cached ? { fromRevision: cached.revision + 1n } : {});
    const state = recorded.map((r) => codec.parse(r)).reduce(decider.evolve, cached?.state ?? decider.initialState());
    const revision = recorded.at(-1)?.revision ?? cached?.revision;
    if (revision === undefined) return { state, expected: 'no_stream' };
    if (recorded.length > 0) cache.set(streamId, { state, revision });
    return { state, expected: revision };
  }

  /**
   * `loaded`: what the caller read of the stream just before (a use case that had to look first): the first attempt
   * decides on it rather than reading again; a conflict reads afresh, as always.
   */
  async handle(streamId: string, command: Command, metadata: EventMetadata = {}, loaded?: Loaded<State>): Promise<Handled<State, Event>> {
    const { store, decider, codec, newEventId } = this.options;
    for (let attempt = 1; ; attempt++) {
      const { state, expected } = attempt === 1 && loaded ? loaded : await this.load(streamId);
      const events = decider.decide(command, state);
      const next = events.reduce(decider.evolve, state);
      if (events.length === 0) return { state: next, events, appended: null };
      try {
        const toAppend = events.map((event) => {
          const { type, data } = codec.serialize(event);
          return { id: newEventId(), type, data, metadata: { ...metadata, schemaVersion: data.v } };
        });
        const appended = await store.append(streamId, toAppend, expected);
        // What the next command on this stream reads: the state just decided, as of the revision it landed at.
        this.options.cache.set(streamId, { state: next, revision: appended.nextExpectedRevision });
        return { state: next, events, appended };
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
        if (attempt >= this.maxAttempts) throw new DomainError('write_conflict');
        await new Promise((resolve) => setTimeout(resolve, Math.random() * this.baseDelayMs * 2 ** (attempt - 1)));
      }
    }
  }
}
