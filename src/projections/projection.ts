// How each flow says what its events do to the read model: a partial map from event type to a write. Every write is
// guarded by the event's stream revision inside the read model, so applying an event twice, or late, changes nothing.
import type { EventOf, UserEventType } from '../events/user.events.js';
import type { ReadModel } from '../readmodel/port.js';

export type Projection = { readonly [T in UserEventType]?: (model: ReadModel, event: EventOf<T>, revision: number) => Promise<unknown> };
