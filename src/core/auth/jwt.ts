import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../../lib/clock.js';
import { randomHex } from '../../lib/crypto.js';
import type { KeyValueStore } from '../state/types.js';

/** HS256 signing and checking with revocation by `jti`, for the surfaces whose clients expect JWTs. */
export interface JwtKit {
  /** Signs `claims` with iat, nbf, exp and a fresh jti. */
  sign(claims: Record<string, unknown>, expiresInS: number): Promise<string>;
  /** The payload when the signature, times and revocation list all pass; otherwise null. */
  verify(token: string): Promise<JWTPayload | null>;
  /** Stops a token working at once, until it would have expired anyway. */
  revoke(payload: JWTPayload): Promise<void>;
}

/**
 * The signing secret: JWT_SECRET when set, otherwise a random one generated once into
 * `dataDir/jwt-secret` (mode 0600) so tokens survive restarts.
 */
export function loadJwtSecret(configured: string | null, dataDir: string): Uint8Array {
  if (configured) return new TextEncoder().encode(configured);
  const file = path.join(dataDir, 'jwt-secret');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomHex(32), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

/** Signatures remembered as checked; past this many the memory starts afresh. */
const VERIFIED_CACHE_SIZE = 10_000;

/**
 * Builds the kit over a secret, the injected clock and the shared key-value store
 * (revocations). A token whose signature has been checked once is remembered, so a busy
 * client's requests skip the HMAC; its times and the revocation list are checked every time.
 */
export function createJwtKit(secret: Uint8Array, clock: Clock, kv: KeyValueStore): JwtKit {
  const revokedKey = (jti: string) => `jwt-revoked:${jti}`;
  const verified = new Map<string, JWTPayload>();
  /** jose's rule: expired at `exp`, not valid before `nbf` (whole seconds). */
  const inTime = (payload: JWTPayload) => {
    const nowS = Math.floor(clock.now() / 1000);
    return (payload.exp === undefined || payload.exp > nowS) && (payload.nbf === undefined || payload.nbf <= nowS);
  };
  return {
    async sign(claims, expiresInS) {
      const nowS = Math.floor(clock.now() / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(nowS)
        .setNotBefore(nowS)
        .setExpirationTime(nowS + expiresInS)
        .setJti(randomHex(16))
        .sign(secret);
    },
    async verify(token) {
      let payload = verified.get(token);
      if (payload && !inTime(payload)) {
        verified.delete(token);
        return null;
      }
      if (!payload) {
        try {
          ({ payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], currentDate: new Date(clock.now()) }));
        } catch {
          return null;
        }
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.clear();
        verified.set(token, payload);
      }
      // A failing revocation store is an outage (503), not a bad token: let it propagate.
      if (payload.jti && (await kv.get(revokedKey(payload.jti))) !== null) return null;
      return payload;
    },
    async revoke(payload) {
      if (!payload.jti) return;
      const ttlMs = Math.max(1000, (payload.exp ?? 0) * 1000 - clock.now() + 1000);
      await kv.set(revokedKey(payload.jti), '1', ttlMs);
    },
  };
}
