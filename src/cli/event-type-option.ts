// `--type` as audit and events tail take it: repeatable, comma-separated, by event name or by routing key.
import { InvalidArgumentError } from 'commander';
import { routingKey, userEventTypes, type UserEventType } from '../events/user.events.js';

/** `--type UserRegistered,user.activated --type PasswordChanged`: event types, by name or by routing key. */
export function collectTypes(value: string, previous: UserEventType[]): UserEventType[] {
  const out = [...previous];
  for (const item of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const type = userEventTypes.find((t) => t === item || routingKey(t) === item);
    if (!type)
      throw new InvalidArgumentError(
        `unknown event type '${item}' (one of: ${userEventTypes.join(', ')}; or their routing keys, e.g. user.registered)`,
      );
    out.push(type);
  }
  return out;
}
