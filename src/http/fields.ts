// Request bodies parsed as DRF serializers parse them: each field validated on its own with DRF's messages, every
// field's errors reported together as {"field": ["msg", ...]}, unknown fields ignored. Built on zod.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { z } from 'zod';
import { pyStrip } from '../auth/password-validators.js';
import { ApiError } from './errors.js';

const REQUIRED = 'This field is required.';

interface CharOptions {
  required?: boolean;
  allowBlank?: boolean;
  maxLength?: number;
  /** DRF trims surrounding whitespace of every CharField by default, passwords included. */
  trim?: boolean;
  /** Further checks on the trimmed string, each returning a message or null. */
  checks?: ((value: string) => string | null)[];
  /** Run `checks` before the max-length check (a model field's own validators come first in DRF's list). */
  checksFirst?: boolean;
  /** The message for a value that is not a string or number (DRF's `invalid`; EmailField overrides it). */
  invalidMessage?: string;
  /** Applied to the trimmed string before any check; the result is what is checked and passed on. */
  normalize?: (value: string) => string;
}

/** serializers.CharField. Numbers are accepted and turned into strings, as DRF does; objects, lists, booleans are not. */
export function charField(options: CharOptions = {}) {
  const { required = true, allowBlank = false, maxLength, trim = true, checks = [], checksFirst = false } = options;
  const invalid = options.invalidMessage ?? 'Not a valid string.';
  const field = z.unknown().transform((input, ctx): string | undefined => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (input === undefined) return required ? fail(REQUIRED) : undefined;
    if (input === null) return fail('This field may not be null.');
    if (typeof input === 'boolean' || !['string', 'number'].includes(typeof input)) return fail(invalid);
    if (typeof input === 'number' && !Number.isFinite(input)) return fail(invalid);
    // Python's str.strip(), not JS trim(): the two disagree on a few characters.
    const stripped = trim ? pyStrip(String(input)) : String(input);
    const value = options.normalize ? options.normalize(stripped) : stripped;
    if (value === '') return allowBlank ? '' : fail('This field may not be blank.');
    const lengthMessages: string[] = [];
    // Python's len(): code points, not UTF-16 units.
    if (maxLength !== undefined && [...value].length > maxLength) {
      lengthMessages.push(`Ensure this field has no more than ${maxLength} characters.`);
    }
    const checkMessages = checks.map((check) => check(value)).filter((m): m is string => m !== null);
    const messages = checksFirst ? [...checkMessages, ...lengthMessages] : [...lengthMessages, ...checkMessages];
    for (const message of messages) ctx.addIssue({ code: 'custom', message });
    return messages.length ? z.NEVER : value;
  });
  // What the OpenAPI document shows (the transform itself has no JSON schema); required is probed by parsing.
  return field.meta({ type: 'string', ...(allowBlank ? {} : { minLength: 1 }), ...(maxLength === undefined ? {} : { maxLength }) });
}

/** A field with more OpenAPI metadata (format, pattern…) over what it already has. */
const documented = <T extends z.ZodType>(field: T, meta: Record<string, unknown>): T => field.meta({ ...field.meta(), ...meta });

// Django 3.2's EmailValidator (django/core/validators.py): a dot-atom or quoted local part, then a dotted domain,
// 'localhost', an [IP literal], or an internationalised domain that is valid once punycoded. Django's quoted local
// part allows control characters, so the pattern has them.
const EMAIL_USER =
  // eslint-disable-next-line no-control-regex
  /^(?:[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*|"(?:[\x01-\x08\x0b\x0c\x0e-\x1f!#-[\]-\x7f]|\\[\x01-\x09\x0b\x0c\x0e-\x7f])*")$/i;
const EMAIL_DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}(?<!-)$/i;
const EMAIL_LITERAL = /^\[([A-Za-z0-9:.[\\\]^_`]+)\]$/;

const emailDomainOk = (domain: string): boolean => {
  if (EMAIL_DOMAIN.test(domain)) return true;
  const literal = EMAIL_LITERAL.exec(domain);
  return literal !== null && isIP(literal[1]!) !== 0;
};

export function isEmail(value: string): boolean {
  if (value === '' || !value.includes('@') || [...value].length > 320) return false;
  const at = value.lastIndexOf('@');
  const user = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!EMAIL_USER.test(user)) return false;
  if (domain === 'localhost' || emailDomainOk(domain)) return true;
  // Python's 'idna' codec; domainToASCII answers '' where that codec would raise.
  const ascii = /^[\p{ASCII}]*$/u.test(domain) ? domain : domainToASCII(domain);
  return ascii !== '' && emailDomainOk(ascii);
}

/** serializers.EmailField (max 254, Django's message, which is also its message for non-strings). */
export const emailField = (options: Omit<CharOptions, 'checks' | 'maxLength' | 'invalidMessage'> = {}) =>
  documented(
    charField({
      ...options,
      maxLength: 254,
      invalidMessage: 'Enter a valid email address.',
      checks: [(v) => (isEmail(v) ? null : 'Enter a valid email address.')],
    }),
    { format: 'email' },
  );

// Django's UnicodeUsernameValidator, run on the NFKC form: Django's create_user stores that form, so checking the
// raw text let "⑴x" (a number sign) through and stored "(1)x". The field passes the NFKC form on.
const USERNAME = /^[\p{L}\p{N}_@.+-]+$/u;
export const usernameField = () =>
  documented(
    charField({
      maxLength: 150,
      normalize: (v) => v.normalize('NFKC'),
      // The model's UnicodeUsernameValidator runs before DRF's max-length validator.
      checksFirst: true,
      checks: [
        (v) =>
          USERNAME.test(v) ? null : 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
      ],
    }),
    { pattern: USERNAME.source, description: 'Letters, digits and @/./+/-/_ only.', examples: ['alice'] },
  );

export type Fields = Record<string, z.ZodType>;
export type Parsed<F extends Fields> = { [K in keyof F]: z.output<F[K]> };
export type FieldErrors = Record<string, string[]>;

/** Validates every field; returns what parsed and each failing field's messages. Non-object bodies throw a 400. */
export function parseFields<F extends Fields>(fields: F, body: unknown): { data: Partial<Parsed<F>>; errors: FieldErrors } {
  // A JSON `null` body: DRF's serializer fails with its `null` message for a root serializer.
  if (body === null) throw new ApiError(400, { non_field_errors: ['No data provided'] });
  if (body !== undefined && (typeof body !== 'object' || Array.isArray(body))) {
    throw new ApiError(400, { non_field_errors: [`Invalid data. Expected a dictionary, but got ${pythonTypeName(body)}.`] });
  }
  const input = (body ?? {}) as Record<string, unknown>;
  const data: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const [name, schema] of Object.entries(fields)) {
    const result = schema.safeParse(Object.hasOwn(input, name) ? input[name] : undefined);
    if (result.success) data[name] = result.data;
    else errors[name] = result.error.issues.map((i) => i.message);
  }
  return { data: data as Partial<Parsed<F>>, errors };
}

/** Parses a request body; throws ApiError(400) with DRF's error body. */
export function parseBody<F extends Fields>(fields: F, body: unknown): Partial<Parsed<F>> {
  const { data, errors } = parseFields(fields, body);
  if (Object.keys(errors).length) throw new ApiError(400, errors);
  return data;
}

function pythonTypeName(value: unknown): string {
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  return typeof value;
}

/** Merges error maps with keys in the serializer's field order (DRF reports them that way). */
export function inFieldOrder(order: readonly string[], ...maps: FieldErrors[]): FieldErrors {
  const merged: FieldErrors = {};
  for (const field of order) {
    const messages = maps.flatMap((m) => m[field] ?? []);
    if (messages.length) merged[field] = messages;
  }
  return merged;
}

/** djoser's *Retype serializers: when the setting is on, the two values must match (a non-field error). */
export function requireRetyped(enabled: boolean, value: string | undefined, retyped: string | undefined, message: string): void {
  if (enabled && value !== retyped) throw new ApiError(400, { non_field_errors: [message] });
}

/** Django's validate_password: its messages are the field's errors. */
export function requireValidPassword(field: string, problems: readonly string[]): void {
  if (problems.length) throw new ApiError(400, { [field]: [...problems] });
}
