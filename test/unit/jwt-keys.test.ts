// Asymmetric JWT signing (issue #10.6): keys from PEM files, kid = RFC 7638 thumbprint, the JWKS document over HTTP,
// rotation through VERIFYING_KEY_FILES; and the cache of verified access tokens (#10.11).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT, calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, exportJWK, jwtVerify, type JSONWebKeySet } from 'jose';
import { loadConfig } from '../../src/config.js';
import { jwtService } from '../../src/crypto/jwt.js';
import { loadJwtKeys, type AsymmetricAlgorithm } from '../../src/crypto/jwt-keys.js';
import { startTestService, useService, type TestService } from '../support/service.js';
import { bearer, jwtPair, register } from '../http/helpers.js';

const LIFETIMES = { access: 300, refresh: 86_400 };
const SECRET = 'jwt-keys-test-secret-0123456789abcdefghijklmnop';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'authstream-keys-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const GENERATE: Record<string, () => { privateKey: KeyObject; publicKey: KeyObject }> = {
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  EdDSA: () => generateKeyPairSync('ed25519'),
};

let files = 0;
/** A new key pair as PEM files: the private key (PKCS#8) and the public key (SPKI). */
async function keyFiles(alg: keyof typeof GENERATE) {
  const { privateKey, publicKey } = GENERATE[alg]!();
  const n = ++files;
  const privateFile = path.join(dir, `key-${n}.pem`);
  const publicFile = path.join(dir, `key-${n}.pub.pem`);
  await writeFile(privateFile, privateKey.export({ format: 'pem', type: 'pkcs8' }));
  await writeFile(publicFile, publicKey.export({ format: 'pem', type: 'spki' }));
  const jwk = await exportJWK(publicKey);
  return { privateFile, publicFile, publicKey, kid: await calculateJwkThumbprint(jwk, 'sha256') };
}

const keysFor = (alg: AsymmetricAlgorithm, signing: string, verifying: string[] = []) =>
  loadJwtKeys({ ALGORITHM: alg, SIGNING_KEY_FILE: signing, VERIFYING_KEY_FILES: verifying });

describe('loadJwtKeys', () => {
  it('HMAC needs no keys: null', async () => {
    assert.equal(await loadJwtKeys({ ALGORITHM: 'HS256', VERIFYING_KEY_FILES: [] }), null);
  });

  for (const alg of ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const) {
    it(`${alg}: kid is the RFC 7638 thumbprint; the JWKS has the public key only, with kid, alg and use`, async () => {
      const key = await keyFiles(alg);
      const keys = (await keysFor(alg, key.privateFile))!;
      assert.equal(keys.signing.kid, key.kid);
      assert.equal(keys.signing.alg, alg);
      assert.equal(keys.jwks.keys.length, 1);
      const [jwk] = keys.jwks.keys;
      assert.equal(jwk!.kid, key.kid);
      assert.equal(jwk!.alg, alg);
      assert.equal(jwk!.use, 'sig');
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(secret in jwk!, false, `no ${secret}`);
    });
  }

  it('the old key in VERIFYING_KEY_FILES (public or private PEM, even of another algorithm) joins the JWKS', async () => {
    const [next, old, other] = [await keyFiles('ES256'), await keyFiles('ES256'), await keyFiles('RS256')];
    const keys = (await keysFor('ES256', next.privateFile, [old.publicFile, other.privateFile, next.publicFile]))!;
    assert.deepEqual(
      keys.jwks.keys.map((k) => [k.kid, k.alg]),
      [
        [next.kid, 'ES256'],
        [old.kid, 'ES256'],
        [other.kid, 'RS256'],
      ],
    );
  });

  it('refuses, naming the setting: a missing file, a key of the wrong type, a small RSA key, a non-key', async () => {
    const ec = await keyFiles('ES256');
    await assert.rejects(keysFor('ES256', path.join(dir, 'nope.pem')), /SIGNING_KEY_FILE: cannot read .*ENOENT/);
    await assert.rejects(keysFor('RS256', ec.privateFile), /SIGNING_KEY_FILE: .*cannot sign RS256/);
    await assert.rejects(keysFor('ES384', ec.privateFile), /SIGNING_KEY_FILE: .*cannot sign ES384/);
    await assert.rejects(keysFor('ES256', ec.publicFile), /SIGNING_KEY_FILE: .* holds no PEM private key/);
    const small = path.join(dir, 'small.pem');
    await writeFile(small, generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await assert.rejects(keysFor('RS256', small), /cannot sign RS256/);
    const junk = path.join(dir, 'junk.pem');
    await writeFile(junk, 'not a key\n');
    await assert.rejects(keysFor('ES256', ec.privateFile, [junk]), /VERIFYING_KEY_FILES: .*junk.pem holds no PEM key/);
  });

  it('config: SIGNING_KEY_FILE required with an asymmetric ALGORITHM, refused with HMAC', () => {
    assert.equal(loadConfig({}).ALGORITHM, 'HS256');
    assert.throws(() => loadConfig({ ALGORITHM: 'RS256' }), /SIGNING_KEY_FILE: required with ALGORITHM=RS256/);
    assert.throws(() => loadConfig({ SIGNING_KEY_FILE: '/k.pem' }), /SIGNING_KEY_FILE: not used with ALGORITHM=HS256/);
    assert.throws(() => loadConfig({ ALGORITHM: 'none' }), /ALGORITHM/);
    assert.deepEqual(
      loadConfig({ ALGORITHM: 'EdDSA', SIGNING_KEY_FILE: '/k.pem', VERIFYING_KEY_FILES: '/a.pem, /b.pem' }).VERIFYING_KEY_FILES,
      ['/a.pem', '/b.pem'],
    );
  });
});

describe('jwtService with asymmetric keys', () => {
  const clock = { now: new Date('2030-01-01T00:00:00Z') };
  const now = () => clock.now;

  it('tokens carry alg, typ and kid; jose verifies them with the JWKS; simplejwt claims unchanged', async () => {
    const key = await keyFiles('EdDSA');
    const keys = (await keysFor('EdDSA', key.privateFile))!;
    const jwt = jwtService(SECRET, LIFETIMES, now, { keys });
    const token = await jwt.issue('access', 'user-1');
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'EdDSA', typ: 'JWT', kid: key.kid });
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys.jwks as JSONWebKeySet), { currentDate: now() });
    assert.deepEqual(Object.keys(payload), ['token_type', 'exp', 'iat', 'jti', 'user_id']);
    const checked = await jwt.verify(token, 'access');
    assert.ok('claims' in checked && checked.claims.user_id === 'user-1');
    assert.deepEqual(jwt.jwks?.(), keys.jwks);
  });

  it('rotation: a token of the old key verifies while the old key is in VERIFYING_KEY_FILES, new tokens use the new kid', async () => {
    const [oldKey, newKey] = [await keyFiles('ES256'), await keyFiles('ES256')];
    const before = jwtService(SECRET, LIFETIMES, now, { keys: (await keysFor('ES256', oldKey.privateFile))! });
    const oldToken = await before.issue('refresh', 'user-1');
    const during = jwtService(SECRET, LIFETIMES, now, { keys: (await keysFor('ES256', newKey.privateFile, [oldKey.publicFile]))! });
    assert.ok('claims' in (await during.verify(oldToken, 'refresh')));
    assert.equal(decodeProtectedHeader(await during.issue('access', 'user-1')).kid, newKey.kid);
    const afterwards = jwtService(SECRET, LIFETIMES, now, { keys: (await keysFor('ES256', newKey.privateFile))! });
    assert.deepEqual(await afterwards.verify(oldToken), { error: 'Token is invalid or expired' });
  });

  it('refuses tokens that are not ours: HMAC over the public key, alg none, a kid with the wrong alg, unknown kid, no kid', async () => {
    const key = await keyFiles('RS256');
    const keys = (await keysFor('RS256', key.privateFile))!;
    const jwt = jwtService(SECRET, LIFETIMES, now, { keys });
    const claims = { token_type: 'access', exp: Math.floor(now().getTime() / 1000) + 60, iat: 0, jti: 'x', user_id: 'u' };
    const invalid = { error: 'Token is invalid or expired' };
    const publicPem = key.publicKey.export({ format: 'pem', type: 'spki' });
    const hmacOverPublic = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(Buffer.from(publicPem));
    assert.deepEqual(await jwt.verify(hmacOverPublic), invalid);
    const [h, p] = (await jwt.issue('access', 'u')).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url')}.${p}.`;
    assert.deepEqual(await jwt.verify(none), invalid);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.deepEqual(
      await jwt.verify(await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'someone-else' }).sign(other)),
      invalid,
    );
    assert.deepEqual(await jwt.verify(await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(other)), invalid);
    assert.deepEqual(await jwt.verify(await new SignJWT(claims).setProtectedHeader({ alg: 'PS256', kid: key.kid }).sign(other)), invalid);
    assert.ok(h);
  });

  it('HMAC keeps its header (no kid) and has no JWKS', async () => {
    const jwt = jwtService(SECRET, LIFETIMES, now);
    assert.deepEqual(decodeProtectedHeader(await jwt.issue('access', 'u')), { alg: 'HS256', typ: 'JWT' });
    assert.equal(jwt.jwks?.(), null);
    const hs512 = jwtService(SECRET, LIFETIMES, now, { hmacAlgorithm: 'HS512' });
    const token = await hs512.issue('access', 'u');
    assert.equal(decodeProtectedHeader(token).alg, 'HS512');
    assert.ok('claims' in (await hs512.verify(token)));
    assert.deepEqual(await jwt.verify(token), { error: 'Token is invalid or expired' }, 'HS256 refuses an HS512 token');
  });

  it('HMAC tokens are byte for byte the ones jose signs from the same header and claims', async () => {
    for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
      const jwt = jwtService(SECRET, LIFETIMES, now, { hmacAlgorithm: alg });
      const token = await jwt.issue('refresh', '42', { jti: 'a'.repeat(32), session: { sid: 's-1', epoch: 3 } });
      const { payload } = await jwtVerify(token, new TextEncoder().encode(SECRET), { algorithms: [alg], currentDate: now() });
      assert.deepEqual(Object.keys(payload), ['token_type', 'exp', 'iat', 'jti', 'user_id', 'sid', 'epoch']);
      assert.equal(payload.user_id, 42, 'an integer pk as a number, as simplejwt');
      const byJose = await new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(new TextEncoder().encode(SECRET));
      assert.equal(token, byJose, alg);
    }
  });
});

describe('the cache of verified access tokens', () => {
  it('returns the same claims for a repeated token without verifying it again, and still refuses it once expired', async () => {
    const clock = { now: new Date('2030-01-01T00:00:00Z') };
    const jwt = jwtService(SECRET, LIFETIMES, () => clock.now);
    const token = await jwt.issue('access', 'user-1');
    const first = await jwt.verify(token, 'access');
    const second = await jwt.verify(token, 'access');
    assert.ok('claims' in first && 'claims' in second);
    assert.deepEqual(second.claims, first.claims);
    assert.deepEqual(jwt.cacheStats?.(), { hits: 1, misses: 1, size: 1 }, 'the second call checked no signature');
    // The claim checks still run on a cached token.
    assert.deepEqual(await jwt.verify(token, 'refresh'), { error: 'Token has wrong type' });
    // One second before exp it holds; at exp (jose: expired once exp <= now) it does not, cached or not.
    clock.now = new Date(clock.now.getTime() + (LIFETIMES.access - 1) * 1000);
    assert.ok('claims' in (await jwt.verify(token)));
    clock.now = new Date(clock.now.getTime() + 1000);
    assert.deepEqual(await jwt.verify(token), { error: 'Token is invalid or expired' });
    assert.deepEqual(await jwt.verify(token), { error: 'Token is invalid or expired' });
  });

  it('a tampered copy of a cached token is refused; refresh tokens are verified every time', async () => {
    const jwt = jwtService(SECRET, LIFETIMES, () => new Date());
    const token = await jwt.issue('access', 'user-1');
    assert.ok('claims' in (await jwt.verify(token)));
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ token_type: 'access', exp: 9e9, iat: 0, jti: 'x', user_id: 'admin' })).toString('base64url')}.${s}`;
    assert.deepEqual(await jwt.verify(forged), { error: 'Token is invalid or expired' });
    const refresh = await jwt.issue('refresh', 'user-1');
    const before = jwt.cacheStats!();
    assert.ok('claims' in (await jwt.verify(refresh)) && 'claims' in (await jwt.verify(refresh)));
    assert.equal(jwt.cacheStats!().hits, before.hits);
    assert.equal(jwt.cacheStats!().size, before.size);
  });

  it('bounded: beyond cacheSize the oldest entries go, and every token still verifies; 0 turns it off', async () => {
    const jwt = jwtService(SECRET, LIFETIMES, () => new Date(), { cacheSize: 2 });
    const tokens = await Promise.all([1, 2, 3].map((i) => jwt.issue('access', `user-${i}`)));
    for (const t of tokens) assert.ok('claims' in (await jwt.verify(t)));
    assert.deepEqual(jwt.cacheStats!(), { hits: 0, misses: 3, size: 2 });
    const again = await jwt.verify(tokens[0]!);
    assert.ok('claims' in again && again.claims.user_id === 'user-1');
    assert.equal(jwt.cacheStats!().hits, 0, 'the first was evicted: verified again');
    assert.ok('claims' in (await jwt.verify(tokens[0]!)));
    assert.equal(jwt.cacheStats!().hits, 1, 'and cached again');
    const off = jwtService(SECRET, LIFETIMES, () => new Date(), { cacheSize: 0 });
    const t = await off.issue('access', 'u');
    assert.ok('claims' in (await off.verify(t)) && 'claims' in (await off.verify(t)));
    assert.deepEqual(off.cacheStats!(), { hits: 0, misses: 2, size: 0 });
  });
});

/** The JWKS document over HTTP, and a token of the service verified with it by jose, as another service would. */
async function verifiedWithJwks(svc: TestService, token: string) {
  const res = await fetch(new URL('/.well-known/jwks.json', svc.url));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const jwks = (await res.json()) as JSONWebKeySet;
  return jwtVerify(token, createLocalJWKSet(jwks));
}

for (const alg of ['RS256', 'ES256', 'EdDSA'] as const) {
  describe(`${alg} over HTTP`, () => {
    const env: Record<string, string> = { ALGORITHM: alg };
    before(async () => {
      env.SIGNING_KEY_FILE = (await keyFiles(alg)).privateFile;
    });
    const svc = useService(env);

    it('jwt/create/ tokens verify with jose against /.well-known/jwks.json; users/me/ and jwt/refresh/ accept them', async () => {
      const user = await register(svc);
      const { access, refresh } = await jwtPair(svc, user.username);
      const { payload, protectedHeader } = await verifiedWithJwks(svc, access);
      assert.equal(protectedHeader.alg, alg);
      assert.equal(payload.user_id, user.id);
      const me = await svc.call('GET', '/auth/users/me/', undefined, bearer(access));
      assert.equal(me.status, 200);
      assert.equal(me.body.username, user.username);
      const refreshed = await svc.call('POST', '/auth/jwt/refresh/', { refresh });
      assert.equal(refreshed.status, 200);
      await verifiedWithJwks(svc, refreshed.body.access);
      assert.equal((await svc.call('POST', '/auth/jwt/verify/', { token: access })).status, 200);
    });
  });
}

describe('HS256 over HTTP', () => {
  const svc = useService({});
  it('/.well-known/jwks.json is a 404: there is no public key', async () => {
    const res = await fetch(new URL('/.well-known/jwks.json', svc.url));
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { detail: 'Not found.' });
  });
});

describe('key rotation over HTTP (restart with a new key, the old one only verifying)', () => {
  it('old tokens keep working until they expire, new ones name the new kid, the JWKS has both', async () => {
    const [oldKey, newKey] = [await keyFiles('ES256'), await keyFiles('ES256')];
    const base = { SECRET_KEY: SECRET, ALGORITHM: 'ES256' };
    let svc = await startTestService({ ...base, SIGNING_KEY_FILE: oldKey.privateFile });
    /** The same DATA_DIR and SMTP capture, other settings. */
    const restartWith = async (env: Record<string, string>) => {
      await svc.close();
      return startTestService({ ...base, ...env }, { dataDir: svc.dataDir, smtp: svc.smtp });
    };
    try {
      const user = await register(svc);
      const old = await jwtPair(svc, user.username);
      assert.equal(decodeProtectedHeader(old.access).kid, oldKey.kid);
      svc = await restartWith({ SIGNING_KEY_FILE: newKey.privateFile, VERIFYING_KEY_FILES: oldKey.publicFile });
      assert.equal((await svc.call('GET', '/auth/users/me/', undefined, bearer(old.access))).status, 200);
      const refreshed = await svc.call('POST', '/auth/jwt/refresh/', { refresh: old.refresh });
      assert.equal(refreshed.status, 200, 'nobody is logged out');
      assert.equal(decodeProtectedHeader(refreshed.body.access).kid, newKey.kid);
      await verifiedWithJwks(svc, old.access);
      await verifiedWithJwks(svc, refreshed.body.access);
      // Once the old key is dropped, its tokens are refused.
      svc = await restartWith({ SIGNING_KEY_FILE: newKey.privateFile, VERIFYING_KEY_FILES: '' });
      assert.equal((await svc.call('GET', '/auth/users/me/', undefined, bearer(old.access))).status, 401);
      assert.equal((await svc.call('GET', '/auth/users/me/', undefined, bearer(refreshed.body.access))).status, 200);
    } finally {
      await svc.dispose();
    }
  });
});
