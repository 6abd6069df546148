// Request bodies parsed as DRF serializers parse them: each field validated on its own with DRF's messages, every
// field's errors reported together as {"field": ["msg", ...]}, unknown fields ignored. Built on zod.
import { z } from 'zod';
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
}

/** serializers.CharField. Numbers are accepted and turned into strings, as DRF does; objects, lists, booleans are not. */
export function charField(options: CharOptions = {}) {
  const { required = true, allowBlank = false, maxLength, trim = true, checks = [] } = options;
  return z.unknown().transform((input, ctx): string | undefined => {
    const fail = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (input === undefined) return required ? fail(REQUIRED) : undefined;
    if (input === null) return fail('This field may not be null.');
    if (typeof input === 'boolean' || !['string', 'number'].includes(typeof input)) return fail('Not a valid string.');
    if (typeof input === 'number' && !Number.isFinite(input)) return fail('Not a valid string.');
    const value = trim ? String(input).trim() : String(input);
    if (value === '') return allowBlank ? '' : fail('This field may not be blank.');
    const messages: string[] = [];
    if (maxLength !== undefined && value.length > maxLength) {
      messages.push(`Ensure this field has no more than ${maxLength} characters.`);
    }
    for (const check of checks) {
      const message = check(value);
      if (message) messages.push(message);
    }
    for (const message of messages) ctx.addIssue({ code: 'custom', message });
    return messages.length ? z.NEVER : value;
  });
}

// Django's EmailValidator, in the shape that matters here: a local part, one @, a dotted domain (or localhost).
const EMAIL = /^[^\s@"(),:;<>[\\\]]+@(?:localhost|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63})$/i;
export const isEmail = (value: string): boolean => EMAIL.test(value) && value.length <= 254;

/** serializers.EmailField (max 254, Django's message). */
export const emailField = (options: Omit<CharOptions, 'checks' | 'maxLength'> = {}) =>
  charField({ ...options, maxLength: 254, checks: [(v) => (isEmail(v) ? null : 'Enter a valid email address.')] });

// Django's UnicodeUsernameValidator.
const USERNAME = /^[\p{L}\p{N}_@.+-]+$/u;
export const usernameField = () =>
  charField({
    maxLength: 150,
    checks: [
      (v) =>
        USERNAME.test(v) ? null : 'Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.',
    ],
  });

export type Fields = Record<string, z.ZodType>;
export type Parsed<F extends Fields> = { [K in keyof F]: z.output<F[K]> };
export type FieldErrors = Record<string, string[]>;

/** Validates every field; returns what parsed and each failing field's messages. Non-object bodies throw a 400. */
export function parseFields<F extends Fields>(fields: F, body: unknown): { data: Partial<Parsed<F>>; errors: FieldErrors } {
  if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
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
