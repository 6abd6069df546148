// Small secrets the service must hand out again but never store in clear (an imported DRF token's key):
// AES-256-GCM under a key derived from SECRET_KEY. Sealed values live only in the event log (secret fields).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';

// Derived once per secret (a process has one or two: SECRET_KEY, and the old one while rotating): an import seals a
// token per user, and HKDF per seal was seconds of CPU per 100k.
const derived = new Map<string, Buffer>();
function keyOf(secret: string): Buffer {
  let key = derived.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'authstream.sealed.v1', 32));
    if (derived.size >= 8) derived.clear();
    derived.set(secret, key);
  }
  return key;
}

export function seal(secret: string, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [VERSION, iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

/** The sealed value, or null when it was sealed under another secret (or is damaged). */
export function unseal(secret: string, sealed: string): string | null {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== VERSION || !iv || !body || !tag) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
