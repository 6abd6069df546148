// Turns one parsed dumpdata object into a typed user or token row, or says why it cannot. Field semantics follow
// django.contrib.auth's AbstractUser and AbstractBaseUser, and DRF's authtoken.Token; nothing here throws.

/** A Django primary key: an AutoField integer, or a string (UUIDField, CharField primary keys). */
export type DjangoPk = number | string;

export interface DjangoUserRecord {
  /** 1-based line where the object starts, and its 1-based position among the file's objects. */
  readonly line: number;
  readonly index: number;
  /** The model label as written in the file, e.g. `auth.user`. */
  readonly model: string;
  readonly pk: DjangoPk;
  /** The USERNAME_FIELD's value (what Django's get_username() returns): the username, or the email. */
  readonly login: string;
  /** '' when the model has no email or it is blank. Equals `login` when USERNAME_FIELD is 'email'. */
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly isActive: boolean;
  readonly isStaff: boolean;
  readonly isSuperuser: boolean;
  readonly dateJoined: Date | null;
  readonly lastLogin: Date | null;
  /** The encoded password, untouched (see src/crypto/django-hashers.ts). */
  readonly password: string;
  /** PermissionsMixin's many-to-many values as dumped: pks, or natural keys with --natural-foreign. */
  readonly groups: readonly unknown[];
  readonly userPermissions: readonly unknown[];
  /** Every other field of a custom user model: strings as they are, numbers and booleans as text, lists and
   * objects as JSON, null kept. */
  readonly extra: Readonly<Record<string, string | null>>;
}

export interface DjangoTokenRecord {
  readonly line: number;
  readonly index: number;
  /** DRF's token key, which is also the token's primary key. */
  readonly key: string;
  readonly userPk: DjangoPk;
  readonly created: Date;
}

/** A token's user as written: a pk, or a natural key (`["alice"]`) from `dumpdata --natural-foreign`. */
export type UserRef = { pk: DjangoPk } | { login: string };

export interface RecordOptions {
  /** Lower-case model labels. */
  readonly userModel: string;
  readonly tokenModel: string;
  readonly usernameField: string;
}

export type Converted =
  | { kind: 'user'; user: DjangoUserRecord }
  | { kind: 'token'; token: Omit<DjangoTokenRecord, 'userPk'>; user: UserRef }
  | { kind: 'other'; model: string }
  | { kind: 'error'; reason: string; model?: string; pk?: DjangoPk };

// Fields with a typed place in DjangoUserRecord; the USERNAME_FIELD joins them.
const USER_FIELDS = new Set([
  'password',
  'email',
  'first_name',
  'last_name',
  'is_active',
  'is_staff',
  'is_superuser',
  'date_joined',
  'last_login',
  'groups',
  'user_permissions',
]);

class Invalid extends Error {}

export function convert(text: string, line: number, index: number, options: RecordOptions): Converted {
  let object: unknown;
  try {
    object = JSON.parse(text);
  } catch (error) {
    // Not V8's message: it quotes the text around the mistake, which may be a password hash or a token key.
    const position = /at position (\d+)/.exec((error as Error).message)?.[1];
    return { kind: 'error', reason: `not valid JSON${position ? ` (at character ${position} of the object)` : ''}` };
  }
  if (!isPlainObject(object) || typeof object.model !== 'string') {
    return { kind: 'error', reason: 'not a dumpdata object (expected {"model": ..., "pk": ..., "fields": {...}})' };
  }
  const model = object.model;
  const label = model.toLowerCase();
  if (label !== options.userModel && label !== options.tokenModel) return { kind: 'other', model };
  const isUser = label === options.userModel;
  // A token's pk is its key, a secret: errors never carry it.
  const pk = isUser ? primaryKey(object.pk) : null;
  try {
    if (!isPlainObject(object.fields)) throw new Invalid('"fields" must be an object');
    if (!isUser) return toToken(object.fields, object.pk, line, index);
    if (pk === null) throw new Invalid(missingPk(object.pk));
    return { kind: 'user', user: toUser(object.fields, pk, model, line, index, options) };
  } catch (error) {
    if (!(error instanceof Invalid)) throw error;
    return { kind: 'error', reason: error.message, model, ...(pk !== null && { pk }) };
  }
}

function toUser(
  fields: Record<string, unknown>,
  pk: DjangoPk,
  model: string,
  line: number,
  index: number,
  { usernameField }: RecordOptions,
): DjangoUserRecord {
  const login = fields[usernameField];
  if (login === undefined) {
    throw new Invalid(`no "${usernameField}" field (set usernameField to the model's USERNAME_FIELD)`);
  }
  if (typeof login !== 'string' || login === '') {
    throw new Invalid(`"${usernameField}" (the USERNAME_FIELD) must be a non-empty string`);
  }
  const password = fields.password;
  if (typeof password !== 'string') throw new Invalid('"password" must be a string');
  const extra: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name === usernameField || USER_FIELDS.has(name)) continue;
    extra[name] = value === null || typeof value === 'string' ? value : JSON.stringify(value);
  }
  return {
    line,
    index,
    model,
    pk,
    login,
    email: text(fields, 'email'),
    firstName: text(fields, 'first_name'),
    lastName: text(fields, 'last_name'),
    // AbstractBaseUser without an is_active field counts every user as active.
    isActive: flag(fields, 'is_active', true),
    isStaff: flag(fields, 'is_staff', false),
    isSuperuser: flag(fields, 'is_superuser', false),
    dateJoined: date(fields, 'date_joined', true),
    lastLogin: date(fields, 'last_login', true),
    password,
    groups: list(fields, 'groups'),
    userPermissions: list(fields, 'user_permissions'),
    extra,
  };
}

const DRF_KEY_MAX_LENGTH = 40; // Token.key = CharField(max_length=40, primary_key=True)

function toToken(fields: Record<string, unknown>, pk: unknown, line: number, index: number): Converted {
  if (typeof pk !== 'string' || pk.length > DRF_KEY_MAX_LENGTH || !/^[\x21-\x7e]+$/.test(pk)) {
    throw new Invalid(pk === undefined ? missingPk(pk) : 'the key (pk) must be 1 to 40 printable ASCII characters');
  }
  const created = date(fields, 'created', false)!;
  return { kind: 'token', token: { line, index, key: pk, created }, user: userRef(fields.user) };
}

function userRef(value: unknown): UserRef {
  const pk = primaryKey(value);
  if (pk !== null) return { pk };
  // --natural-foreign writes the user's natural key, [USERNAME_FIELD value].
  if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return { login: value[0] };
  throw new Invalid('"user" must be a user pk');
}

function primaryKey(value: unknown): DjangoPk | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  return typeof value === 'string' && value !== '' ? value : null;
}

const missingPk = (value: unknown) =>
  value === undefined
    ? 'missing "pk" (dumps made with --natural-primary have none; dump without it)'
    : '"pk" must be an integer or a non-empty string';

function text(fields: Record<string, unknown>, name: string): string {
  const value = fields[name] ?? '';
  if (typeof value !== 'string') throw new Invalid(`"${name}" must be a string`);
  return value;
}

function flag(fields: Record<string, unknown>, name: string, absent: boolean): boolean {
  const value = fields[name] ?? absent;
  if (typeof value !== 'boolean') throw new Invalid(`"${name}" must be true or false`);
  return value;
}

function list(fields: Record<string, unknown>, name: string): readonly unknown[] {
  const value = fields[name] ?? [];
  if (!Array.isArray(value)) throw new Invalid(`"${name}" must be a list`);
  return value;
}

function date(fields: Record<string, unknown>, name: string, nullable: boolean): Date | null {
  const value = fields[name] ?? null;
  if (value === null && nullable) return null;
  const parsed = typeof value === 'string' ? parseDjangoDateTime(value) : null;
  if (parsed === null) throw new Invalid(`"${name}" must be a date and time like 2024-03-01T09:30:15.123Z`);
  return parsed;
}

// What DjangoJSONEncoder writes: ISO 8601 with milliseconds when there are any, `Z` for UTC (USE_TZ = True), or no
// offset at all (USE_TZ = False: the server's local time, which a dump does not name; read here as UTC).
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?$/;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

// Called for every date of every row (300k for 100k users and their tokens), hence the plain arithmetic.
export function parseDjangoDateTime(value: string): Date | null {
  const m = DATETIME.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!];
  const second = m[6] ? +m[6] : 0;
  const millis = m[7] ? +(m[7] + '00').slice(0, 3) : 0;
  const validDay = day >= 1 && day <= (DAYS_IN_MONTH[month - 1] ?? 0) && (month !== 2 || day < 29 || isLeap(year));
  // Python's datetime starts at year 1.
  if (year < 1 || !validDay || hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  if (year < 100) date.setUTCFullYear(year); // Date.UTC reads years 0-99 as 1900-1999
  const offset = m[8];
  if (offset && offset !== 'Z') {
    const [hours, minutes] = [+offset.slice(1, 3), +offset.slice(4, 6)];
    if (hours > 23 || minutes > 59) return null;
    date.setTime(date.getTime() - (offset[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000);
  }
  return date;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
