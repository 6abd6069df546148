// Personal data in events, sealed with the account's own key: each personal field (and the client's IP and user
// agent in the metadata) is stored as `enc:v1:<iv|ciphertext|tag>` of its JSON. With the key erased a field reads
// as ERASED (strings), {} (objects) or null where its schema allows it — the events still parse, fold and replay.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const ERASED = '[erased]';
const PREFIX = 'enc:v1:';

export const isSealed = (value: unknown): value is string => typeof value === 'string' && value.startsWith(PREFIX);

// IVs are cut from a buffer of random bytes refilled 4 KiB at a time (as randomUUID buffers its own): one call to
// the CSPRNG per 341 seals rather than one per seal. Each IV is used once; a refill replaces the buffer.
const IV_BYTES = 12;
let ivPool = Buffer.alloc(0);
let ivAt = 0;

function nextIv(): Buffer {
  if (ivAt + IV_BYTES > ivPool.length) {
    ivPool = randomBytes(IV_BYTES * 341);
    ivAt = 0;
  }
  ivAt += IV_BYTES;
  return ivPool.subarray(ivAt - IV_BYTES, ivAt);
}

/** `json` sealed under `key`. */
export function sealJson(key: Buffer, json: string): string {
  const iv = nextIv();
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The JSON text a sealed value holds. A damaged value throws (the log is damaged). */
export function openJson(key: Buffer, sealed: string): string {
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
}

export const sealValue = (key: Buffer, value: unknown): string => sealJson(key, JSON.stringify(value));

/** The sealed value, or `erased` when the key is gone. A damaged value throws (the log is damaged). */
export function openValue(key: Buffer | null, sealed: string, erased: unknown): unknown {
  return key ? JSON.parse(openJson(key, sealed)) : erased;
}

/** Seals the named fields of a data object (absent ones stay absent). */
export function sealFields(key: Buffer, data: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out = { ...data };
  for (const field of fields) if (out[field] !== undefined) out[field] = sealValue(key, out[field]);
  return out;
}

/** Opens every sealed field of a data object; with no key, each becomes what `erasedValue` gives for it. */
export function openFields(
  key: Buffer | null,
  data: Record<string, unknown>,
  erasedValue: (field: string) => unknown = () => ERASED,
): Record<string, unknown> {
  const out = { ...data };
  for (const [field, value] of Object.entries(out)) if (isSealed(value)) out[field] = openValue(key, value, erasedValue(field));
  return out;
}
