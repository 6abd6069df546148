// The one place configuration comes from: the environment, parsed with zod at start-up.
// Names follow djoser's (and simplejwt's) settings where those exist, with their defaults.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { QUEUE_TYPES } from './amqp/bus.js';

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

/**
 * Positions of events a runner passes over (comma-separated, as /health and the log name them: `N`, or
 * `commit/prepare` on EventStoreDB): the operator's way past an event this version cannot read. Logged at start.
 */
const eventPositions = z
  .string()
  .optional()
  .transform((v) => splitList(v ?? ''))
  .refine((items) => items.every((i) => /^\d+(?:\/\d+)?$/.test(i)), 'must be event positions, e.g. 1234 or 1234,5678')
  .transform((items) => items.map((i) => i.replace(/^0+(?=\d)/, '').replace(/\/0+(?=\d)/, '/')));

// A link template must keep both placeholders, or the emailed link cannot be confirmed.
const linkTemplate = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((v) => v ?? fallback)
    .refine((v) => v.includes('{uid}') && v.includes('{token}'), 'must contain {uid} and {token}');

const isOrigin = (v: string): boolean => {
  try {
    return new URL(v).origin === v;
  } catch {
    return false;
  }
};

const compiles = (v: string): boolean => {
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
};

const schema = z.object({
  PORT: int(8000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./var'),
  /** Unset on the embedded default: generated once and kept under DATA_DIR. Required with shared servers. */
  SECRET_KEY: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  /** A file holding SECRET_KEY (a Docker secret), read when SECRET_KEY is unset: trimmed, at least 32 characters. */
  SECRET_KEY_FILE: optionalString,
  /**
   * Wraps every account's own data key (crypto-shredding, src/erasure). Unset: derived from SECRET_KEY. It must never
   * change (a new one cannot unwrap the stored keys), so set it before SECRET_KEY is ever rotated.
   */
  DATA_KEY: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),

  EVENTSTORE_URL: url(['esdb', 'esdb+discover', 'kurrentdb', 'kurrent']),
  MONGODB_URI: url(['mongodb', 'mongodb+srv']),
  MONGODB_DB: z.string().min(1).default('authstream'),
  AMQP_URL: url(['amqp', 'amqps']),
  AMQP_EXCHANGE: z.string().min(1).default('authstream.events'),
  /**
   * The type of the durable queues authstream declares (the email consumer's, its retry and dead-letter queues):
   * quorum (RabbitMQ 3.10 or later) or classic, for an older broker. A queue that exists as the other type is used as
   * it is, with a warning.
   */
  AMQP_QUEUE_TYPE: z.enum(QUEUE_TYPES).default('quorum'),
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
  /** A directory laid out like templates/email/ whose files replace the shipped ones (templates/email/README.md). */
  EMAIL_TEMPLATES_DIR: optionalString,
  /** Django's LANGUAGE_CODE: the language of the emails (`en`, `de`, `de-at`, `pt_BR`); without templates for it, English. */
  LANGUAGE_CODE: z
    .string()
    .regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$/, 'must be a language code like en, de or pt-br')
    .default('en'),

  // The user model, as Django's settings and the model class define it.
  /** Django's USERNAME_FIELD: `username` (Django's default user) or `email` (a custom user with no username). */
  USERNAME_FIELD: z.enum(['username', 'email']).default('username'),
  /**
   * The model's own fields besides username, email, first_name and last_name: `name:255:required,phone:32`
   * (a CharField each, with its max_length; `required` = blank=False).
   */
  USER_FIELDS: z
    .string()
    .default('')
    .transform((v, ctx) => parseUserFields(v, ctx)),
  /** Django's REQUIRED_FIELDS: what djoser's serializers show and take besides the login field and id. */
  REQUIRED_FIELDS: optionalString.transform((v) => (v === undefined ? undefined : splitList(v))),
  /** `integer` (Django's AutoField: 1, 2, 3 …) or `uuid`. */
  USER_ID_TYPE: z.enum(['integer', 'uuid']).default('integer'),

  // djoser
  /** Defaults to USERNAME_FIELD; `email` over the username model logs in by email beside a required username. */
  LOGIN_FIELD: z.enum(['username', 'email']).optional(),
  EMAIL_UNIQUE: bool(false),
  /** A regular user sees only themself in users/, and others' users/<id>/ answer 404 (djoser's HIDE_USERS). */
  HIDE_USERS: bool(true),
  /** DRF's PAGE_SIZE: set, users/ answers pages (DEFAULT_PAGINATION_CLASS below); unset, a plain list. */
  PAGE_SIZE: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .optional()
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number().int().min(1).max(10_000).optional()),
  DEFAULT_PAGINATION_CLASS: z.enum(['PageNumberPagination', 'LimitOffsetPagination']).default('PageNumberPagination'),
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
  /** An email change is told to the previous address (authstream's own; djoser tells nobody). */
  EMAIL_CHANGED_NOTICE: bool(true),
  /** users/me/ asks for current_password when the email changes (authstream's own; off, as djoser). */
  EMAIL_CHANGE_REQUIRES_PASSWORD: bool(false),
  ACTIVATION_URL: linkTemplate('#/activate/{uid}/{token}'),
  PASSWORD_RESET_CONFIRM_URL: linkTemplate('#/password/reset/confirm/{uid}/{token}'),
  /** Default: `#/username/reset/confirm/{uid}/{token}`, or `#/email/reset/confirm/…` on the email model. */
  USERNAME_RESET_CONFIRM_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || (v.includes('{uid}') && v.includes('{token}')), 'must contain {uid} and {token}'),
  DOMAIN: optionalString,
  SITE_NAME: optionalString,
  PROTOCOL: z.enum(['http', 'https']).default('http'),
  /** Django's PASSWORD_RESET_TIMEOUT (seconds): how long activation and reset links stay valid. */
  PASSWORD_RESET_TIMEOUT: int(259_200, 60),

  // The dj-rest-auth surface (src/http/dj-rest-auth/): dj-rest-auth 4.0.1's REST_AUTH dict as REST_AUTH_<NAME>, and
  // django-allauth 0.51's ACCOUNT_* settings under their own names, with their defaults. DJ_REST_AUTH_* are
  // authstream's own. SITE_NAME, DOMAIN and PROTOCOL are shared with the djoser surface.
  /** Where the surface is mounted, e.g. `/dj-rest-auth/`; unset: not mounted. */
  DJ_REST_AUTH_PREFIX: optionalString
    .refine((v) => v === undefined || /^\/[\w.~-]+(\/[\w.~-]+)*\/?$/.test(v), 'must be a path like /dj-rest-auth/')
    .refine((v) => v === undefined || !/^\/auth(\/|$)/.test(v), 'must not be under /auth/ (the djoser surface)')
    .transform((v) => v?.replace(/\/$/, '')),
  /** simplejwt's token_blacklist app installed: logout/ blacklists the refresh token (else only the cookies go). */
  DJ_REST_AUTH_TOKEN_BLACKLIST: bool(true),
  REST_AUTH_USE_JWT: bool(false),
  REST_AUTH_SESSION_LOGIN: bool(true),
  REST_AUTH_OLD_PASSWORD_FIELD_ENABLED: bool(false),
  REST_AUTH_LOGOUT_ON_PASSWORD_CHANGE: bool(false),
  REST_AUTH_JWT_AUTH_COOKIE: optionalString,
  REST_AUTH_JWT_AUTH_REFRESH_COOKIE: optionalString,
  REST_AUTH_JWT_AUTH_REFRESH_COOKIE_PATH: z.string().startsWith('/').default('/'),
  REST_AUTH_JWT_AUTH_SECURE: bool(false),
  REST_AUTH_JWT_AUTH_HTTPONLY: bool(true),
  REST_AUTH_JWT_AUTH_SAMESITE: z.enum(['Lax', 'Strict', 'None']).default('Lax'),
  REST_AUTH_JWT_AUTH_RETURN_EXPIRATION: bool(false),
  REST_AUTH_JWT_AUTH_COOKIE_USE_CSRF: bool(false),
  REST_AUTH_JWT_AUTH_COOKIE_ENFORCE_CSRF_ON_UNAUTHENTICATED: bool(false),
  /** The frontend's reset-confirm page, joined to PROTOCOL://DOMAIN/ (the project's `password_reset_confirm` URL). */
  REST_AUTH_PASSWORD_RESET_CONFIRM_URL: linkTemplate('password-reset/confirm/{uid}/{token}/'),
  ACCOUNT_AUTHENTICATION_METHOD: z.enum(['username', 'email', 'username_email']).default('username'),
  ACCOUNT_EMAIL_REQUIRED: bool(false),
  ACCOUNT_EMAIL_VERIFICATION: z.enum(['none', 'optional', 'mandatory']).default('optional'),
  /** How many days an email-confirmation key stays valid. */
  ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS: int(3, 1, 3_650),
  ACCOUNT_UNIQUE_EMAIL: bool(true),
  ACCOUNT_USERNAME_REQUIRED: bool(true),
  ACCOUNT_USERNAME_MIN_LENGTH: int(1, 1, 150),
  /** Comma-separated usernames registration and user/ refuse (case-insensitive). */
  ACCOUNT_USERNAME_BLACKLIST: z
    .string()
    .default('')
    .transform((v) => splitList(v)),
  /** Unset: `[<SITE_NAME>] `. */
  ACCOUNT_EMAIL_SUBJECT_PREFIX: z.string().optional(),
  ACCOUNT_LOGOUT_ON_GET: bool(false),

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
  /** simplejwt: jwt/refresh/ also returns a new refresh token (the old one stays valid unless blacklisted). */
  ROTATE_REFRESH_TOKENS: bool(false),
  /** simplejwt: a rotated refresh token stops working; using it again revokes its whole session. */
  BLACKLIST_AFTER_ROTATION: bool(false),
  /**
   * authstream's own: live JWT sessions an account keeps at once; a login past it revokes the oldest (as Auth0 caps
   * refresh tokens per user), so a client that logs in at every start cannot grow an account without bound.
   */
  MAX_SESSIONS_PER_USER: int(100, 1, 10_000),

  // Brute force and floods (#10).
  /** Failed logins in a row that lock an account. */
  LOCKOUT_THRESHOLD: int(10, 1, 1_000),
  /** The first lock's length in seconds; each further lock (without a successful login between) doubles it. */
  LOCKOUT_DURATION: int(60, 1),
  LOCKOUT_MAX_DURATION: int(86_400, 1),
  /** An email asked for with just an address (resend, resets) goes out at most once per account per this many seconds. */
  EMAIL_REQUEST_WINDOW: int(60, 0, 86_400),
  /**
   * DRF's DEFAULT_THROTTLE_RATES by scope, `scope:N/period` (period s, sec, m, min, h, hour, d, day) comma-separated;
   * a scope given here replaces its default, `scope:none` turns it off. Scopes: login and login_account count failed
   * logins (per client IP, per login name); register, email_request and confirm count every request per client IP.
   */
  DEFAULT_THROTTLE_RATES: z
    .string()
    .default('')
    .transform((v, ctx) => parseThrottleRates(v, ctx)),
  /** How many proxies in front of the service to trust for the client's IP (X-Forwarded-For); 0: none (DRF's NUM_PROXIES). */
  NUM_PROXIES: int(0, 0, 10),

  // JWT signing keys (simplejwt's ALGORITHM; keys from PEM files). HS* sign with SECRET_KEY. RS*/PS*/ES*/EdDSA sign
  // with SIGNING_KEY_FILE's private key and publish the public keys at /.well-known/jwks.json, each with its kid
  // (RFC 7638 thumbprint), so other services verify access tokens without a secret. To rotate: put the new key in
  // SIGNING_KEY_FILE and the old one's (public or private) PEM in VERIFYING_KEY_FILES until the old tokens expired.
  ALGORITHM: z.enum(['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']).default('HS256'),
  SIGNING_KEY_FILE: optionalString,
  /** Comma-separated PEM files of keys whose tokens are still accepted (not used to sign). */
  VERIFYING_KEY_FILES: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  /** Verified access tokens remembered until their exp, so a repeated token skips the signature check; 0: none. */
  JWT_VERIFIED_CACHE_SIZE: int(10_000, 0, 10_000_000),

  // Browser clients (django-cors-headers' names). No origin listed: no CORS headers at all.
  /** Comma-separated origins (scheme://host[:port]) that may call the API from a browser. */
  CORS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every(isOrigin), 'must be origins like https://app.example.com, comma-separated'),
  /** Whitespace-separated regular expressions an origin may match instead (regexes may hold commas). */
  CORS_ALLOWED_ORIGIN_REGEXES: z
    .string()
    .default('')
    .transform((v) => v.split(/\s+/).filter(Boolean))
    .refine((list) => list.every(compiles), 'must be valid regular expressions, whitespace-separated'),
  /** Access-Control-Allow-Credentials: browsers send cookies and HTTP auth, and let the page read the answer. */
  CORS_ALLOW_CREDENTIALS: bool(false),
  /** How long a browser may cache a preflight's answer (seconds; django-cors-headers' default). */
  CORS_PREFLIGHT_MAX_AGE: int(86_400, 0),

  // Password hashing: argon2id, never below OWASP's minimum (19 MiB, t=2, p=1).
  ARGON2_MEMORY_KIB: int(19_456, 19_456),
  ARGON2_TIME_COST: int(2, 2),
  ARGON2_PARALLELISM: int(1, 1, 16),
  /** Hashes waiting for a free slot (one runs per core, plus one); beyond them requests get 503 and Retry-After. */
  ARGON2_MAX_QUEUE: int(64, 0, 100_000),

  /** How long a write waits for the read model to show its effect before answering 503. */
  READ_YOUR_WRITES_TIMEOUT_MS: int(5_000, 10),
  /** Events the read model passes over (see eventPositions): what they would have changed is missing from it. */
  READ_MODEL_SKIP_EVENTS: eventPositions,
  /** The same for the relay: events it passes over without publishing them (their subscribers never see them). */
  RELAY_SKIP_EVENTS: eventPositions,
  /** The same for the runner that turns email requests (reset, resend) into account commands. */
  EMAIL_REQUEST_SKIP_EVENTS: eventPositions,
  /**
   * The in-memory read model (no MONGODB_URI) starts from its snapshot under DATA_DIR and replays only the log after
   * it; true: ignore the snapshot and replay the whole log (as `authstream start --replay`).
   */
  FULL_REPLAY: bool(false),
  /** A new read-model snapshot after this many events (embedded log; 0: not by count) … */
  READ_MODEL_SNAPSHOT_EVENTS: int(50_000, 0),
  /**
   * … or this many seconds after the last one, if events came meanwhile (0: not by time); and always at close. Never
   * sooner than nine times the last one's writing time after it: at most a tenth of the time goes to snapshots.
   */
  READ_MODEL_SNAPSHOT_SECONDS: int(300, 0),

  // Logs and metrics (src/log.ts, src/observability/).
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** `json`: one JSON object per line on stdout; `pretty`: pino-pretty's lines (a devDependency: development only). */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** Set: GET /metrics on the API's (and a worker's) port, behind `Authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, 'must be at least 16 characters'),
  /** Set: GET /metrics without a token on a listener of its own at HOST:METRICS_PORT (0: any free port). */
  METRICS_PORT: optionalString
    .refine((v) => v === undefined || /^\d+$/.test(v), 'must be a whole number')
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number().int().min(0).max(65535).optional()),
});

type Parsed = z.output<typeof schema>;

/** The configuration, with the defaults that depend on other settings filled in. */
export type Config = Omit<Parsed, 'LOGIN_FIELD' | 'REQUIRED_FIELDS' | 'USERNAME_RESET_CONFIRM_URL'> & {
  LOGIN_FIELD: 'username' | 'email';
  REQUIRED_FIELDS: readonly string[];
  USERNAME_RESET_CONFIRM_URL: string;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = withModelDefaults(parsed.data);
  if (config.EMAIL_RETRY_MAX_DELAY_MS < config.EMAIL_RETRY_DELAY_MS) config.EMAIL_RETRY_MAX_DELAY_MS = config.EMAIL_RETRY_DELAY_MS;
  if (config.SECRET_KEY_FILE !== undefined) config.SECRET_KEY = secretKeyFromFile(config.SECRET_KEY, config.SECRET_KEY_FILE);
  const shared = config.EVENTSTORE_URL ?? config.MONGODB_URI;
  if (config.ALGORITHM.startsWith('HS') === (config.SIGNING_KEY_FILE !== undefined)) {
    throw new ConfigError(
      `invalid configuration:\n  SIGNING_KEY_FILE: ${config.ALGORITHM.startsWith('HS') ? `not used with ALGORITHM=${config.ALGORITHM} (HMAC signs with SECRET_KEY)` : `required with ALGORITHM=${config.ALGORITHM}`}`,
    );
  }
  if (shared && !config.SECRET_KEY) {
    throw new ConfigError(
      'invalid configuration:\n  SECRET_KEY: required when EVENTSTORE_URL or MONGODB_URI is set (every instance must share it)',
    );
  }
  return config;
}

/** SECRET_KEY_FILE's key: the file's content, trimmed; with SECRET_KEY set too, or a short or unreadable file, an error. */
function secretKeyFromFile(secretKey: string | undefined, file: string): string {
  const problem = (message: string) => new ConfigError(`invalid configuration:\n  ${message}`);
  if (secretKey !== undefined) throw problem('SECRET_KEY, SECRET_KEY_FILE: set one of them, not both');
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw problem(`SECRET_KEY_FILE: cannot read ${file} (${code ?? (error as Error).message})`);
  }
  if (key.length < 32) throw problem(`SECRET_KEY_FILE: ${file} must hold a key of at least 32 characters (it holds ${key.length})`);
  return key;
}

function withModelDefaults(parsed: Parsed): Config {
  const problems: string[] = [];
  const emailModel = parsed.USERNAME_FIELD === 'email';
  const loginField = parsed.LOGIN_FIELD ?? parsed.USERNAME_FIELD;
  if (emailModel && loginField === 'username') problems.push('LOGIN_FIELD: the email user model has no username to log in with');
  problems.push(...djRestAuthProblems(parsed));
  const known = ['email', 'first_name', 'last_name', ...parsed.USER_FIELDS.map((f) => f.name)];
  // Django's default user: REQUIRED_FIELDS = ['email']; a custom email model: its required fields.
  const required = parsed.REQUIRED_FIELDS ?? (emailModel ? parsed.USER_FIELDS.filter((f) => f.required).map((f) => f.name) : ['email']);
  for (const name of required) {
    if (name === parsed.USERNAME_FIELD) problems.push(`REQUIRED_FIELDS: must not contain USERNAME_FIELD (${name})`);
    else if (!known.includes(name)) problems.push(`REQUIRED_FIELDS: ${name} is not a field of the user model (${known.join(', ')})`);
  }
  if (problems.length) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return {
    ...parsed,
    LOGIN_FIELD: loginField,
    REQUIRED_FIELDS: required,
    // The email identifies the account when it is the model's username or the login field: it must be unique.
    EMAIL_UNIQUE: parsed.EMAIL_UNIQUE || emailModel || loginField === 'email',
    USERNAME_RESET_CONFIRM_URL: parsed.USERNAME_RESET_CONFIRM_URL ?? `#/${parsed.USERNAME_FIELD}/reset/confirm/{uid}/{token}`,
  };
}

/** allauth's own start-up assertions (allauth/account/app_settings.py), checked when the surface is mounted. */
function djRestAuthProblems(parsed: Parsed): string[] {
  if (parsed.DJ_REST_AUTH_PREFIX === undefined) return [];
  const problems: string[] = [];
  if (parsed.USERNAME_FIELD !== 'username') problems.push('DJ_REST_AUTH_PREFIX: the dj-rest-auth surface needs USERNAME_FIELD=username');
  if (!parsed.ACCOUNT_EMAIL_REQUIRED && parsed.ACCOUNT_AUTHENTICATION_METHOD === 'email')
    problems.push('ACCOUNT_EMAIL_REQUIRED: must be true with ACCOUNT_AUTHENTICATION_METHOD=email');
  if (!parsed.ACCOUNT_EMAIL_REQUIRED && parsed.ACCOUNT_EMAIL_VERIFICATION === 'mandatory')
    problems.push('ACCOUNT_EMAIL_REQUIRED: must be true with ACCOUNT_EMAIL_VERIFICATION=mandatory');
  if (!parsed.ACCOUNT_USERNAME_REQUIRED && parsed.ACCOUNT_AUTHENTICATION_METHOD === 'username')
    problems.push('ACCOUNT_USERNAME_REQUIRED: must be true with ACCOUNT_AUTHENTICATION_METHOD=username');
  return problems;
}

export interface UserFieldSpec {
  readonly name: string;
  readonly maxLength: number;
  /** blank=False: required by the create serializer and by PUT. */
  readonly required: boolean;
}

const RESERVED_FIELDS = [
  'id',
  'username',
  'email',
  'password',
  'first_name',
  'last_name',
  'is_active',
  'is_staff',
  'is_superuser',
  'last_login',
  'date_joined',
];

function parseUserFields(value: string, ctx: z.RefinementCtx): UserFieldSpec[] {
  const fields: UserFieldSpec[] = [];
  for (const item of splitList(value)) {
    const [name = '', length = '', flag, ...rest] = item.split(':');
    const maxLength = Number(length);
    if (
      !/^[a-z][a-z0-9_]{0,62}$/.test(name) ||
      RESERVED_FIELDS.includes(name) ||
      !Number.isInteger(maxLength) ||
      maxLength < 1 ||
      maxLength > 10_000 ||
      (flag !== undefined && flag !== 'required') ||
      rest.length
    ) {
      ctx.addIssue({ code: 'custom', message: `${item}: expected name:max_length[:required], e.g. name:255:required` });
      continue;
    }
    if (fields.some((f) => f.name === name)) ctx.addIssue({ code: 'custom', message: `${name} is declared twice` });
    fields.push({ name, maxLength, required: flag === 'required' });
  }
  return fields;
}

/** A throttle rate: so many requests per so many seconds. */
export interface ThrottleRate {
  readonly requests: number;
  readonly seconds: number;
}

export type ThrottleScope = 'login' | 'login_account' | 'register' | 'email_request' | 'confirm';

// Generous enough for people and for clients' test suites, low enough to stop online guessing: failed logins only
// count, so a user who types the password right is never throttled.
const DEFAULT_RATES: Record<ThrottleScope, ThrottleRate | null> = {
  login: { requests: 30, seconds: 60 },
  login_account: { requests: 10, seconds: 60 },
  register: { requests: 300, seconds: 60 },
  email_request: { requests: 120, seconds: 60 },
  confirm: { requests: 300, seconds: 60 },
};

const PERIODS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3_600,
  hour: 3_600,
  d: 86_400,
  day: 86_400,
};

function parseThrottleRates(value: string, ctx: z.RefinementCtx): Record<ThrottleScope, ThrottleRate | null> {
  const rates = { ...DEFAULT_RATES };
  for (const item of splitList(value)) {
    const [scope = '', rate = ''] = item.split(':').map((s) => s.trim());
    if (!Object.hasOwn(DEFAULT_RATES, scope)) {
      ctx.addIssue({ code: 'custom', message: `${scope}: not a throttle scope (${Object.keys(DEFAULT_RATES).join(', ')})` });
      continue;
    }
    if (rate === 'none') {
      rates[scope as ThrottleScope] = null;
      continue;
    }
    const match = /^(\d+)\/(\w+)$/.exec(rate);
    const seconds = match ? PERIODS[match[2]!] : undefined;
    if (!match || seconds === undefined || Number(match[1]) < 1) {
      ctx.addIssue({ code: 'custom', message: `${item}: expected scope:N/period, e.g. login:10/min` });
      continue;
    }
    rates[scope as ThrottleScope] = { requests: Number(match[1]), seconds };
  }
  return rates;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The email consumer's queue: EMAIL_QUEUE, else `<AMQP_EXCHANGE>.email`. */
export function emailQueue(config: Config): string {
  return config.EMAIL_QUEUE ?? `${config.AMQP_EXCHANGE}.email`;
}

/** The host part of emailed links: DOMAIN, else this server's own address. */
export function siteDomain(config: Config): string {
  return config.DOMAIN ?? `localhost:${config.PORT}`;
}

// `authstream config check`: environment variables that look like settings but are none (a typo, or a setting of
// djoser's or dj-rest-auth's that authstream does not have), so they do not go silently unused.

/** Every variable loadConfig reads, in the schema's order. */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

/** Variables authstream reads outside the schema: not settings loadConfig parses, but not unknown either. */
export const OTHER_KNOWN_VARIABLES: readonly string[] = [];

/** A variable starting with one of these is meant for authstream (or for djoser, dj-rest-auth, allauth, simplejwt). */
export const SETTING_PREFIXES: readonly string[] = (
  'REST_AUTH_ ACCOUNT_ SOCIALACCOUNT_ DJOSER_ SIMPLE_JWT_ JWT_ SEND_ PASSWORD_ USERNAME_ EMAIL_ USER_ LOGIN_ LOGOUT_ ' +
  'ACTIVATION_ ACCESS_TOKEN_ REFRESH_TOKEN_ AMQP_ MONGODB_ EVENTSTORE_ ARGON2_ SMTP_ SECRET_ CLOUDEVENTS_ READ_YOUR_WRITES_ READ_MODEL_ AUTHSTREAM_'
).split(' ');

export interface UnknownSetting {
  readonly name: string;
  /** The setting it is probably a misspelling of. */
  readonly suggestion?: string;
  /** `SEND_ACTIVATON_EMAIL is not a setting; did you mean SEND_ACTIVATION_EMAIL?` */
  readonly message: string;
}

/**
 * The variables of `env` that are not settings but look like one: within edit distance 2 of a setting (1 for
 * names of up to 5 characters, so HOME is not taken for HOST; case ignored), or starting with a settings prefix.
 */
export function unknownSettings(env: NodeJS.ProcessEnv = process.env): UnknownSetting[] {
  const known = new Set([...SETTING_NAMES, ...OTHER_KNOWN_VARIABLES]);
  const found: UnknownSetting[] = [];
  for (const name of Object.keys(env).sort()) {
    if (known.has(name)) continue;
    let best: { setting: string; distance: number } | undefined;
    for (const setting of SETTING_NAMES) {
      const limit = Math.min(name.length, setting.length) <= 5 ? 1 : 2;
      const distance = editDistance(name.toUpperCase(), setting, limit);
      if (distance <= limit && (!best || distance < best.distance)) best = { setting, distance };
    }
    if (best) {
      found.push({ name, suggestion: best.setting, message: `${name} is not a setting; did you mean ${best.setting}?` });
      continue;
    }
    const prefix = /^[A-Z0-9_]+$/.test(name) ? SETTING_PREFIXES.find((p) => name.startsWith(p)) : undefined;
    if (!prefix) continue;
    const related = SETTING_NAMES.filter((s) => s.startsWith(prefix));
    const hint = related.length > 0 ? ` (settings starting with ${prefix}: ${related.join(', ')})` : '';
    found.push({ name, message: `${name} is not a setting${hint}` });
  }
  return found;
}

/** Optimal string alignment distance (a swap of two neighbours counts 1); anything above `limit` is limit + 1. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return Math.min(previous[b.length]!, limit + 1);
}
