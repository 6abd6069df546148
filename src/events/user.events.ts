// The events of an account's stream (`user-<id>`), one versioned zod schema each.
// Each schema lists its secret fields: the event's public form (AMQP, audit, logs) is the schema without them.
import { z } from 'zod';

const at = z.iso.datetime();
const userId = z.uuid();
const v1 = z.literal(1);

const schemas = {
  UserRegistered: z.object({
    v: v1,
    userId,
    username: z.string(),
    email: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    /** argon2id PHC string; null for an unusable password. */
    passwordHash: z.string().nullable(),
    isActive: z.boolean(),
    at,
  }),
  /** Written by whoever reclaims a username whose registration never completed: fences the late registration out. */
  RegistrationVoided: z.object({ v: v1, userId, at }),
  /** Written by whoever reclaims a username or email this account claimed but never took (a rename that died). */
  ClaimVoided: z.object({ v: v1, userId, field: z.enum(['username', 'email']), at }),
  UserActivated: z.object({ v: v1, userId, at }),
  UserDeactivated: z.object({ v: v1, userId, reason: z.enum(['email_changed']), at }),
  ActivationEmailRequested: z.object({ v: v1, userId, at }),
  UserProfileUpdated: z.object({
    v: v1,
    userId,
    email: z.string().optional(),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    at,
  }),
  UserDeleted: z.object({ v: v1, userId, at }),
  UserLoggedIn: z.object({ v: v1, userId, at }),
  AuthTokenCreated: z.object({
    v: v1,
    userId,
    /** Random id; the key handed out is HMAC(secret, tokenId), so it is never stored anywhere. */
    tokenId: z.string(),
    /** sha256 of the key, what authentication looks up. */
    keyHash: z.string(),
    at,
  }),
  AuthTokenDestroyed: z.object({ v: v1, userId, at }),
  PasswordChanged: z.object({
    v: v1,
    userId,
    passwordHash: z.string(),
    reason: z.enum(['set', 'reset']),
    at,
  }),
  PasswordResetRequested: z.object({ v: v1, userId, at }),
  UsernameChanged: z.object({ v: v1, userId, username: z.string(), reason: z.enum(['set', 'reset']), at }),
  UsernameResetRequested: z.object({ v: v1, userId, at }),
} as const;

const secretFields: { readonly [K in UserEventType]?: readonly string[] } = {
  UserRegistered: ['passwordHash'],
  AuthTokenCreated: ['tokenId', 'keyHash'],
  PasswordChanged: ['passwordHash'],
};

export type UserEventType = keyof typeof schemas;
export type UserEventData<T extends UserEventType> = z.output<(typeof schemas)[T]>;
export type UserEvent = { [T in UserEventType]: { readonly type: T; readonly data: UserEventData<T> } }[UserEventType];

export const userEventTypes = Object.keys(schemas) as UserEventType[];

export const USER_STREAM_PREFIX = 'user-';
export const userStream = (id: string): string => `${USER_STREAM_PREFIX}${id}`;
export const isUserStream = (streamId: string): boolean => streamId.startsWith(USER_STREAM_PREFIX);

export function isUserEventType(type: string): type is UserEventType {
  return Object.hasOwn(schemas, type);
}

/** Validates a stored event; throws on an unknown type or a schema mismatch (the log is corrupt). */
export function parseUserEvent(type: string, data: unknown): UserEvent {
  if (!isUserEventType(type)) throw new Error(`unknown user event type ${type}`);
  return { type, data: schemas[type].parse(data) } as UserEvent;
}

/** Builds an event, checked against its schema, so nothing malformed is ever appended. */
export function userEvent<T extends UserEventType>(type: T, data: Omit<UserEventData<T>, 'v'>): UserEvent {
  return { type, data: schemas[type].parse({ v: 1, ...data }) } as UserEvent;
}

/** The event without its secret fields: what may leave the event store. */
export function publicData(event: UserEvent): Record<string, unknown> {
  const hidden = secretFields[event.type] ?? [];
  return Object.fromEntries(Object.entries(event.data).filter(([k]) => !hidden.includes(k)));
}

/** zod schemas of the public forms, e.g. for the AsyncAPI document. */
export function publicSchema(type: UserEventType): z.ZodObject {
  const mask = Object.fromEntries((secretFields[type] ?? []).map((k) => [k, true])) as Record<string, true>;
  return (schemas[type] as z.ZodObject).omit(mask);
}

/** AMQP routing key and CloudEvents type suffix: UserRegistered → user.registered, AuthTokenCreated → user.auth_token_created. */
export function routingKey(type: UserEventType): string {
  const snake = type.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  return snake.startsWith('user_') ? `user.${snake.slice(5)}` : `user.${snake}`;
}
