// Personal data in events, sealed with the account's own key: each personal field (and the client's IP and user
// agent in the metadata) is stored as `enc:v1:<iv|ciphertext|tag>` of its JSON. With the key erased a field reads
// as ERASED (strings), {} (objects) or null where its schema allows it — the events still parse, fold and replay.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const ERASED = '[erased]';
const PREFIX = 'enc:v1:';

export const isSealed = (value: unknown): value is string => typeof value === 'string' && value.startsWith(PREFIX);

export function sealValue(key: Buffer, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The sealed value, or `erased` when the key is gone. A damaged value throws (the log is damaged). */
export function openValue(key: Buffer | null, sealed: string, erased: unknown): unknown {
  if (!key) return erased;
  const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8'));
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
