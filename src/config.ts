// The one place configuration comes from: the environment, parsed with zod at start-up.
// Names follow djoser's (and simplejwt's) settings where those exist, with their defaults.
import { z } from 'zod';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'True', 'False', 'TRUE', 'FALSE'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v.toLowerCase() === 'true' || v === '1'));

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .optional()
    .transform((v) => (v === undefined ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max));

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

const url = (protocols: readonly string[]) =>
  optionalString.refine(
    (v) => v === undefined || protocols.some((p) => v.startsWith(`${p}://`)),
    `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
  );

// A link template must keep both placeholders, or the emailed link cannot be confirmed.
const linkTemplate = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => v ?? fallback)
    .refine((v) => v.includes('{uid}') && v.includes('{token}'), 'must contain {uid} and {token}');

const schema = z.object({
  PORT: int(8000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./var'),
  /** Unset on the embedded default: generated once and kept under DATA_DIR. Required with shared servers. */
  SECRET_KEY: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),

  EVENTSTORE_URL: url(['esdb', 'esdb+discover', 'kurrentdb', 'kurrent']),
  MONGODB_URI: url(['mongodb', 'mongodb+srv']),
  MONGODB_DB: z.string().min(1).default('authstream'),
  AMQP_URL: url(['amqp', 'amqps']),
  AMQP_EXCHANGE: z.string().min(1).default('authstream.events'),
  /** CloudEvents `source` of every published event. */
  CLOUDEVENTS_SOURCE: z.string().min(1).default('/authstream'),
  /** The email consumer's durable queue (with `<queue>.dlq` and `<queue>.retry.<ms>`); default `<AMQP_EXCHANGE>.email`. */
  EMAIL_QUEUE: optionalString,
  /** Deliveries of one email event before it goes to the dead-letter queue (permanent SMTP errors go at once). */
  EMAIL_MAX_ATTEMPTS: int(8, 1, 100),
  /** Backoff before the first retry; doubles per attempt up to EMAIL_RETRY_MAX_DELAY_MS. */
  EMAIL_RETRY_DELAY_MS: int(1_000, 10),
  EMAIL_RETRY_MAX_DELAY_MS: int(60_000, 10),
  /** Emails the consumer sends concurrently (the AMQP prefetch). */
  EMAIL_CONCURRENCY: int(8, 1, 1_000),
  SMTP_URL: url(['smtp', 'smtps']),
  DEFAULT_FROM_EMAIL: z.string().min(3).default('webmaster@localhost'),

  // djoser
  LOGIN_FIELD: z.enum(['username', 'email']).default('username'),
  EMAIL_UNIQUE: bool(false),
  SEND_ACTIVATION_EMAIL: bool(false),
  SEND_CONFIRMATION_EMAIL: bool(false),
  USER_CREATE_PASSWORD_RETYPE: bool(false),
  SET_PASSWORD_RETYPE: bool(false),
  PASSWORD_RESET_CONFIRM_RETYPE: bool(false),
  SET_USERNAME_RETYPE: bool(false),
  USERNAME_RESET_CONFIRM_RETYPE: bool(false),
  PASSWORD_RESET_SHOW_EMAIL_NOT_FOUND: bool(false),
  USERNAME_RESET_SHOW_EMAIL_NOT_FOUND: bool(false),
  PASSWORD_CHANGED_EMAIL_CONFIRMATION: bool(false),
  USERNAME_CHANGED_EMAIL_CONFIRMATION: bool(false),
  LOGOUT_ON_PASSWORD_CHANGE: bool(false),
  ACTIVATION_URL: linkTemplate('#/activate/{uid}/{token}'),
  PASSWORD_RESET_CONFIRM_URL: linkTemplate('#/password/reset/confirm/{uid}/{token}'),
  USERNAME_RESET_CONFIRM_URL: linkTemplate('#/username/reset/confirm/{uid}/{token}'),
  DOMAIN: optionalString,
  SITE_NAME: optionalString,
  PROTOCOL: z.enum(['http', 'https']).default('http'),
  /** Django's PASSWORD_RESET_TIMEOUT (seconds): how long activation and reset links stay valid. */
  PASSWORD_RESET_TIMEOUT: int(259_200, 60),

  // simplejwt (lifetimes in seconds)
  ACCESS_TOKEN_LIFETIME: int(300, 1),
  REFRESH_TOKEN_LIFETIME: int(86_400, 1),
  AUTH_HEADER_TYPES: z
    .string()
    .default('Bearer,JWT')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  UPDATE_LAST_LOGIN: bool(false),

  // Password hashing: argon2id, never below OWASP's minimum (19 MiB, t=2, p=1).
  ARGON2_MEMORY_KIB: int(19_456, 19_456),
  ARGON2_TIME_COST: int(2, 2),
  ARGON2_PARALLELISM: int(1, 1, 16),

  /** How long a write waits for the read model to show its effect before answering 503. */
  READ_YOUR_WRITES_TIMEOUT_MS: int(5_000, 10),
});

export type Config = z.output<typeof schema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  // With email as the login field it identifies the account, so it must be unique.
  if (config.LOGIN_FIELD === 'email') config.EMAIL_UNIQUE = true;
  if (config.EMAIL_RETRY_MAX_DELAY_MS < config.EMAIL_RETRY_DELAY_MS) config.EMAIL_RETRY_MAX_DELAY_MS = config.EMAIL_RETRY_DELAY_MS;
  const shared = config.EVENTSTORE_URL ?? config.MONGODB_URI;
  if (shared && !config.SECRET_KEY) {
    throw new ConfigError(
      'invalid configuration:\n  SECRET_KEY: required when EVENTSTORE_URL or MONGODB_URI is set (every instance must share it)',
    );
  }
  return config;
}

/** The email consumer's queue: EMAIL_QUEUE, else `<AMQP_EXCHANGE>.email`. */
export function emailQueue(config: Config): string {
  return config.EMAIL_QUEUE ?? `${config.AMQP_EXCHANGE}.email`;
}

/** The host part of emailed links: DOMAIN, else this server's own address. */
export function siteDomain(config: Config): string {
  return config.DOMAIN ?? `localhost:${config.PORT}`;
}
