// The read model (users and their auth token) as every flow's projection of the account streams. Events a flow does
// not project (an email request, a password change) show nothing; other streams (reservations) neither.
import type { ReadModel } from '../readmodel/port.js';
import type { RecordedEvent } from '../store/port.js';
import { isUserEventType, isUserStream, parseUserEvent, type UserEvent } from '../events/user.events.js';
import type { Projection } from './projection.js';
import { unreadableEvent, type Handled } from './runner.js';
import { registrationProjection } from './registration.projection.js';
import { activationProjection } from './activation.projection.js';
import { profileProjection } from './profile.projection.js';
import { usernameProjection } from './username.projection.js';
import { tokensProjection } from './tokens.projection.js';
import { deletionProjection } from './deletion.projection.js';

const projection: Projection = {
  ...registrationProjection,
  ...activationProjection,
  ...profileProjection,
  ...usernameProjection,
  ...tokensProjection,
  ...deletionProjection,
};

// Neither is an async function: a replay calls them for every event of the log, and an await of each layer would
// cost a promise and a turn of the microtask queue per event and layer (~8% of a replay). An event with nothing to
// project returns undefined: the runner goes on at once.
export function projectUserEvent(model: ReadModel, event: UserEvent, revision: number): Handled {
  const write = projection[event.type] as ((model: ReadModel, event: UserEvent, revision: number) => Promise<unknown>) | undefined;
  return write?.(model, event, revision);
}

/** The runner's handler for the read model. */
export function readModelProjection(model: ReadModel) {
  return (event: RecordedEvent): Handled => {
    if (!isUserStream(event.streamId)) return undefined;
    // A known type the read model does nothing with is not parsed (half the events of a replay: logins, sessions):
    // its data cannot matter here, so it cannot stop the projection either.
    if (isUserEventType(event.type) && projection[event.type] === undefined) return undefined;
    let parsed: UserEvent;
    try {
      parsed = parseUserEvent(event.type, event.data);
    } catch (error) {
      // An unknown type, an unknown version, a schema mismatch: retrying cannot help, the runner stops here.
      return Promise.reject(unreadableEvent(error));
    }
    return projectUserEvent(model, parsed, Number(event.revision));
  };
}
