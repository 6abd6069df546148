// A token as simplejwt (and the service) issues it: HS256, `typ: JWT`, iat, exp, a 32-hex-digit jti beside the
// claims given. The bench signs access tokens for the minimal handler with it, and the minimal login signs its two.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

export function simplejwtToken(key: Uint8Array, claims: Record<string, unknown>, lifetimeSeconds: number): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims, jti: randomUUID().replaceAll('-', '') })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeSeconds)
    .sign(key);
}
