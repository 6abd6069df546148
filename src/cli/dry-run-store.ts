// A dry run's event store: reads go to the real store, appends stay in this process's memory and are thrown away at
// close. A command run over it does all its real work (loads, checks, claims, appends with their expected revisions,
// so clashes between rows and with existing accounts show up as they would) and writes nothing.
// Stream reads and appends only: what the write side uses; $all (readAll, subscriptions) is not offered.
import {
  ConcurrencyError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadStreamOptions,
  type RecordedEvent,
} from '../store/port.js';

export function dryRunStore(real: EventStore): EventStore {
  const appended = new Map<string, RecordedEvent[]>();
  let commit = 0n;

  /** The real stream, then what this run appended to it. */
  const current = async (streamId: string): Promise<RecordedEvent[]> => {
    const stored = await real.readStream(streamId);
    return [...stored, ...(appended.get(streamId) ?? [])];
  };

  const unsupported = (what: string) => () => {
    throw new Error(`a dry run's event store does not ${what}`);
  };

  return {
    async append(streamId: string, events: readonly EventToAppend[], expected: ExpectedRevision): Promise<AppendResult> {
      const stream = await current(streamId);
      // Synchronous from here on: two appends of this process to one stream are checked one after the other.
      const last = stream.length === 0 ? 'no_stream' : stream.at(-1)!.revision;
      const holds =
        expected === 'any' ||
        (expected === 'no_stream' && last === 'no_stream') ||
        (expected === 'stream_exists' && last !== 'no_stream') ||
        (typeof expected === 'bigint' && expected === last);
      if (!holds) throw new ConcurrencyError(streamId, expected, last);
      const mine = appended.get(streamId) ?? [];
      appended.set(streamId, mine);
      let revision = last === 'no_stream' ? -1n : last;
      for (const event of events) {
        revision++;
        commit++;
        mine.push({
          id: event.id,
          type: event.type,
          streamId,
          revision,
          position: { commit, prepare: commit },
          data: event.data,
          metadata: event.metadata ?? {},
          created: new Date(),
        });
      }
      return { nextExpectedRevision: revision, position: { commit, prepare: commit } };
    },

    async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
      let events = await current(streamId);
      const backwards = options.direction === 'backwards';
      if (backwards) events = events.reverse();
      if (options.fromRevision !== undefined) {
        const from = options.fromRevision;
        events = events.filter((e) => (backwards ? e.revision <= from : e.revision >= from));
      }
      return options.maxCount === undefined ? events : events.slice(0, options.maxCount);
    },

    readAll: unsupported('read $all'),
    subscribeToAll: unsupported('subscribe to $all'),
    close: () => real.close(),
  };
}
