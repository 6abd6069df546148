// The event-store port with its appends timed (authstream_event_store_append_duration_seconds); everything else is
// passed through. Applied in service.ts, so both adapters are measured the same way without knowing of it.
import { ConcurrencyError, type EventStore } from '../store/port.js';
import { metrics } from './metrics.js';

export function timedEventStore(store: EventStore): EventStore {
  return {
    async append(streamId, events, expected) {
      const done = metrics.appendTimer();
      try {
        const result = await store.append(streamId, events, expected);
        done('ok');
        return result;
      } catch (error) {
        done(error instanceof ConcurrencyError ? 'conflict' : 'error');
        throw error;
      }
    },
    readStream: (streamId, options) => store.readStream(streamId, options),
    readAll: (options) => store.readAll(options),
    subscribeToAll: (from) => store.subscribeToAll(from),
    close: () => store.close(),
    ...(store.probe ? { probe: (timeoutMs: number) => store.probe!(timeoutMs) } : {}),
  };
}
