// Asymmetric JWT keys (ALGORITHM RS*/PS*/ES*/EdDSA): the private key that signs, read from SIGNING_KEY_FILE, and the
// public keys that verify — its own and those of VERIFYING_KEY_FILES, still accepted during a rotation — each named by
// its RFC 7638 thumbprint (`kid`). Their public halves are the JWKS document at /.well-known/jwks.json, so other
// services verify access tokens without any secret.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { ConfigError } from '../config.js';

export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';
export type AsymmetricAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';
export type JwtAlgorithm = HmacAlgorithm | AsymmetricAlgorithm;

export const isHmac = (alg: JwtAlgorithm): alg is HmacAlgorithm => alg.startsWith('HS');

export interface VerifyingKey {
  readonly kid: string;
  readonly alg: AsymmetricAlgorithm;
  readonly key: KeyObject;
}

export interface JwtKeySet {
  /** Signs new tokens; its public half is among `verifying`. */
  readonly signing: { readonly kid: string; readonly alg: AsymmetricAlgorithm; readonly key: KeyObject };
  /** Every key a token may name in its `kid`. */
  readonly verifying: ReadonlyMap<string, VerifyingKey>;
  /** The public keys as a JWK Set (RFC 7517 §5): kty and key material, kid, alg, use "sig". */
  readonly jwks: { readonly keys: readonly JWK[] };
}

const EC_CURVES: Record<string, AsymmetricAlgorithm> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };

/** The algorithm a key is for, given the one configured; null when the key cannot serve it. */
function algorithmOf(key: KeyObject, wanted: AsymmetricAlgorithm | null): AsymmetricAlgorithm | null {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'rsa': // PS256 too: an RSA key (an 'rsa-pss' PEM has no JWK form)
      if ((details.modulusLength ?? 0) < 2048) return null;
      return wanted?.startsWith('RS') || wanted?.startsWith('PS') ? wanted : 'RS256';
    case 'ec':
      return EC_CURVES[details.namedCurve ?? ''] ?? null;
    case 'ed25519':
      return 'EdDSA';
    default:
      return null;
  }
}

async function readPem(variable: string, file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`invalid configuration:\n  ${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

async function describe(key: KeyObject, alg: AsymmetricAlgorithm): Promise<{ kid: string; jwk: JWK }> {
  const { kty, n, e, crv, x, y } = await exportJWK(key);
  const material = Object.fromEntries(Object.entries({ kty, n, e, crv, x, y }).filter(([, v]) => v !== undefined)) as JWK;
  const kid = await calculateJwkThumbprint(material, 'sha256');
  return { kid, jwk: { ...material, kid, alg, use: 'sig' } };
}

/** Reads the key files the configuration names; null for HMAC (HS*), which signs with SECRET_KEY. */
export async function loadJwtKeys(config: {
  readonly ALGORITHM: JwtAlgorithm;
  readonly SIGNING_KEY_FILE?: string | undefined;
  readonly VERIFYING_KEY_FILES: readonly string[];
}): Promise<JwtKeySet | null> {
  const alg = config.ALGORITHM;
  if (isHmac(alg)) return null;
  if (!config.SIGNING_KEY_FILE) throw new ConfigError(`invalid configuration:\n  SIGNING_KEY_FILE: required with ALGORITHM=${alg}`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(await readPem('SIGNING_KEY_FILE', config.SIGNING_KEY_FILE));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`invalid configuration:\n  SIGNING_KEY_FILE: ${config.SIGNING_KEY_FILE} holds no PEM private key`);
  }
  if (algorithmOf(privateKey, alg) !== alg) {
    throw new ConfigError(
      `invalid configuration:\n  SIGNING_KEY_FILE: a ${privateKey.asymmetricKeyType} key ${privateKey.asymmetricKeyDetails?.namedCurve ?? ''} cannot sign ${alg}` +
        ' (RS*/PS256: RSA ≥ 2048 bits, ES256/384/512: EC P-256/384/521, EdDSA: Ed25519)',
    );
  }
  const own = await describe(createPublicKey(privateKey), alg);
  const verifying = new Map<string, VerifyingKey>([[own.kid, { kid: own.kid, alg, key: createPublicKey(privateKey) }]]);
  const keys: JWK[] = [own.jwk];
  for (const file of config.VERIFYING_KEY_FILES) {
    let key: KeyObject;
    try {
      // A public key, or a private one (its public half is used): the old SIGNING_KEY_FILE can be named as it is.
      key = createPublicKey(await readPem('VERIFYING_KEY_FILES', file));
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`invalid configuration:\n  VERIFYING_KEY_FILES: ${file} holds no PEM key`);
    }
    const keyAlg = algorithmOf(key, alg);
    if (!keyAlg) throw new ConfigError(`invalid configuration:\n  VERIFYING_KEY_FILES: ${file} is no usable signing key`);
    const described = await describe(key, keyAlg);
    if (verifying.has(described.kid)) continue;
    verifying.set(described.kid, { kid: described.kid, alg: keyAlg, key });
    keys.push(described.jwk);
  }
  return { signing: { kid: own.kid, alg, key: privateKey }, verifying, jwks: { keys } };
}
