// Verifies password hashes imported from Django (django/contrib/auth/hashers.py), so migrated users can log in with
// their old passwords; the caller then rehashes them to authstream's argon2id. Only the hashers a Django shop is
// likely to have are supported: PBKDF2 (SHA-256, the default, and SHA-1), Argon2, BCrypt and BCrypt-SHA256; the
// salted/unsalted MD5 and SHA1 and crypt hashers of very old Djangos are not recognised.
//
// Every function takes untrusted text (an import file) and never throws: what is not a well-formed hash of a supported
// hasher within DJANGO_HASH_LIMITS is "not a Django hash" (null) and never matches. All work runs off the event loop
// (libuv's pool), and bytes are compared in constant time.
import { createHash, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import argon2 from 'argon2';
import bcrypt from 'bcrypt';

const pbkdf2Async = promisify(pbkdf2);

/** Cost caps: each keeps the worst verification to a few seconds of one core, so a crafted import cannot make logins
 * a denial of service. Django's own defaults are far below (3.2: 260000 iterations, bcrypt 12, argon2 100 MiB t=2). */
export const DJANGO_HASH_LIMITS = {
  maxEncodedLength: 1024,
  maxPbkdf2Iterations: 10_000_000,
  maxBcryptCost: 16,
  maxArgon2MemoryKiB: 256 * 1024,
  maxArgon2TimeCost: 16,
  maxArgon2Parallelism: 64,
} as const;

export type DjangoHashAlgorithm = 'pbkdf2_sha256' | 'pbkdf2_sha1' | 'argon2' | 'bcrypt_sha256' | 'bcrypt' | 'unusable';

/** What identifyDjangoHash tells about a hash: the hasher and its cost, never the salt or digest (safe to log). */
export type DjangoHashInfo =
  | { algorithm: 'unusable' }
  | { algorithm: 'pbkdf2_sha256' | 'pbkdf2_sha1'; iterations: number }
  | {
      algorithm: 'argon2';
      variety: Argon2Variety;
      version: number;
      memoryKiB: number;
      timeCost: number;
      parallelism: number;
    }
  | { algorithm: 'bcrypt_sha256' | 'bcrypt'; cost: number };

type Argon2Variety = 'argon2id' | 'argon2i' | 'argon2d';

// The parsed hash with its secret parts, kept inside this module.
type Parsed =
  | { algorithm: 'unusable' }
  | {
      algorithm: 'pbkdf2_sha256' | 'pbkdf2_sha1';
      iterations: number;
      salt: string;
      hash: Buffer;
    }
  | {
      algorithm: 'argon2';
      variety: Argon2Variety;
      version: number;
      memoryKiB: number;
      timeCost: number;
      parallelism: number;
      salt: Buffer;
      hash: Buffer;
    }
  | { algorithm: 'bcrypt_sha256' | 'bcrypt'; cost: number; bcrypt: string };

const DIGEST_BYTES = { pbkdf2_sha256: 32, pbkdf2_sha1: 20 } as const;
const ARGON2_TYPES = {
  argon2d: argon2.argon2d,
  argon2i: argon2.argon2i,
  argon2id: argon2.argon2id,
} as const;
const L = DJANGO_HASH_LIMITS;

/** Recognises a Django-encoded password, or returns null (garbage, an unsupported hasher, a cost over the limits).
 * authstream's own hashes (`$argon2id$…`) are not Django ones: Django's argon2 hashes start with `argon2$`. */
export function identifyDjangoHash(encoded: unknown): DjangoHashInfo | null {
  const parsed = parse(encoded);
  if (parsed === null) return null;
  switch (parsed.algorithm) {
    case 'unusable':
      return { algorithm: 'unusable' };
    case 'pbkdf2_sha256':
    case 'pbkdf2_sha1':
      return { algorithm: parsed.algorithm, iterations: parsed.iterations };
    case 'argon2': {
      const { variety, version, memoryKiB, timeCost, parallelism } = parsed;
      return {
        algorithm: 'argon2',
        variety,
        version,
        memoryKiB,
        timeCost,
        parallelism,
      };
    }
    case 'bcrypt_sha256':
    case 'bcrypt':
      return { algorithm: parsed.algorithm, cost: parsed.cost };
  }
}

/** True for any hash identifyDjangoHash recognises, unusable ones included: the caller knows to rehash on login. */
export const isDjangoHash = (encoded: unknown): boolean => parse(encoded) !== null;

/** True when some password could match: a recognised hash that is not Django's unusable marker (`!…`). Unlike
 * Django's is_password_usable, garbage is not "usable" here, since it never matches. */
export const isUsableDjangoHash = (encoded: unknown): boolean => {
  const parsed = parse(encoded);
  return parsed !== null && parsed.algorithm !== 'unusable';
};

/** Checks a password against a Django-encoded hash, as Django's check_password does. Unusable, unknown and malformed
 * hashes return false at once; a caller that hides whether an account exists should spend a dummy verification
 * then (PasswordHasher.verifyNothing), as Django's check_password does. */
export async function verifyDjangoPassword(encoded: unknown, password: string): Promise<boolean> {
  const parsed = parse(encoded);
  // A lone surrogate cannot be UTF-8-encoded (Python raises); Node would silently turn it into U+FFFD.
  if (parsed === null || typeof password !== 'string' || Buffer.from(password).toString() !== password) return false;
  try {
    switch (parsed.algorithm) {
      case 'unusable':
        return false;
      case 'pbkdf2_sha256':
      case 'pbkdf2_sha1': {
        const digest = parsed.algorithm === 'pbkdf2_sha256' ? 'sha256' : 'sha1';
        const derived = await pbkdf2Async(password, parsed.salt, parsed.iterations, parsed.hash.length, digest);
        return timingSafeEqual(derived, parsed.hash);
      }
      case 'argon2': {
        const derived = await argon2.hash(password, {
          raw: true,
          type: ARGON2_TYPES[parsed.variety],
          version: parsed.version,
          memoryCost: parsed.memoryKiB,
          timeCost: parsed.timeCost,
          parallelism: parsed.parallelism,
          salt: parsed.salt,
          hashLength: parsed.hash.length,
        });
        return derived.length === parsed.hash.length && timingSafeEqual(derived, parsed.hash);
      }
      case 'bcrypt_sha256':
      case 'bcrypt':
        return await verifyBcrypt(parsed.algorithm, parsed.bcrypt, password);
    }
  } catch {
    return false; // the native code refused the parameters: such a hash never matches
  }
}

async function verifyBcrypt(algorithm: 'bcrypt_sha256' | 'bcrypt', stored: string, password: string) {
  // Python's bcrypt refuses NUL bytes (Django then fails the login); Node's would hash them.
  if (algorithm === 'bcrypt' && password.includes('\0')) return false;
  // bcrypt_sha256 hashes first so long passwords are not cut at bcrypt's 72 bytes (Django ticket #20138).
  const secret = algorithm === 'bcrypt_sha256' ? createHash('sha256').update(password).digest('hex') : password;
  // Node's bcrypt does not take $2y$ (PHP's name for $2b$); Python's bcrypt computes it as $2b$, and so do we.
  const salt = stored.slice(0, 29).replace(/^\$2y\$/, '$2b$');
  const derived = Buffer.from(stored.slice(0, 4) + (await bcrypt.hash(secret, salt)).slice(4));
  const expected = Buffer.from(stored);
  return derived.length === expected.length && timingSafeEqual(derived, expected);
}

function parse(encoded: unknown): Parsed | null {
  if (typeof encoded !== 'string' || encoded.length > L.maxEncodedLength) return null;
  if (encoded.startsWith('!')) return { algorithm: 'unusable' };
  const dollar = encoded.indexOf('$');
  if (dollar < 0) return null;
  const algorithm = encoded.slice(0, dollar);
  const rest = encoded.slice(dollar + 1);
  if (algorithm === 'pbkdf2_sha256' || algorithm === 'pbkdf2_sha1') return parsePbkdf2(algorithm, rest);
  if (algorithm === 'argon2') return parseArgon2(rest);
  if (algorithm === 'bcrypt_sha256' || algorithm === 'bcrypt') return parseBcrypt(algorithm, rest);
  return null;
}

function parsePbkdf2(algorithm: 'pbkdf2_sha256' | 'pbkdf2_sha1', rest: string): Parsed | null {
  const m = /^([1-9][0-9]{0,8})\$([^$]+)\$([A-Za-z0-9+/]+={0,2})$/.exec(rest);
  if (!m) return null;
  const iterations = Number(m[1]);
  const hash = strictBase64(m[3]!, true);
  if (iterations > L.maxPbkdf2Iterations || hash?.length !== DIGEST_BYTES[algorithm]) return null;
  return { algorithm, iterations, salt: m[2]!, hash };
}

// `argon2$argon2id$v=19$m=102400,t=2,p=8$<salt>$<hash>`: the PHC string after Django's `argon2` prefix. Hashes from
// Django 1.10's days have no `v=` field, which means version 0x10.
const ARGON2_PHC = /^(argon2id|argon2i|argon2d)\$(?:v=(16|19)\$)?m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parseArgon2(rest: string): Parsed | null {
  const m = ARGON2_PHC.exec(rest);
  if (!m) return null;
  const [memoryKiB, timeCost, parallelism] = [Number(m[3]), Number(m[4]), Number(m[5])];
  const [salt, hash] = [strictBase64(m[6]!, false), strictBase64(m[7]!, false)];
  const withinLimits =
    within(timeCost, 1, L.maxArgon2TimeCost) &&
    within(parallelism, 1, L.maxArgon2Parallelism) &&
    within(memoryKiB, 8 * parallelism, L.maxArgon2MemoryKiB);
  // The reference implementation's minimums: an 8-byte salt and a 4-byte tag.
  if (!withinLimits || !salt || salt.length < 8 || !hash || hash.length < 4) return null;
  const version = m[2] === '19' ? 0x13 : 0x10;
  const variety = m[1] as Argon2Variety;
  return { algorithm: 'argon2', variety, version, memoryKiB, timeCost, parallelism, salt, hash };
}

// `bcrypt$$2b$12$<22 salt chars><31 digest chars>`: Django's prefix, then the bcrypt string itself.
function parseBcrypt(algorithm: 'bcrypt_sha256' | 'bcrypt', rest: string): Parsed | null {
  const m = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(rest);
  const cost = Number(m?.[1]);
  if (!m || !within(cost, 4, L.maxBcryptCost)) return null;
  return { algorithm, cost, bcrypt: rest };
}

const within = (n: number, min: number, max: number) => n >= min && n <= max;

/** Decodes base64 only in its canonical form (what Django and argon2 write), since Buffer.from accepts anything. */
function strictBase64(text: string, padded: boolean): Buffer | null {
  const bytes = Buffer.from(text, 'base64');
  const canonical = bytes.toString('base64');
  return (padded ? canonical : canonical.replace(/=+$/, '')) === text ? bytes : null;
}
