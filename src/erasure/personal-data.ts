// Sealing personal data with an account's own key: a JSON text becomes `enc:v1:<iv|ciphertext|tag>` (AES-256-GCM,
// base64url) and back. personal-data-store.ts seals each event's personal part with it; with the key erased that
// part reads as ERASED (strings), {} (objects) or null where its schema allows it, so events still parse and replay.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const ERASED = '[erased]';
const PREFIX = 'enc:v1:';

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
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - 16)), decipher.final()]).toString('utf8');
}
