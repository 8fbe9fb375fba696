import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Clock } from '../../lib/clock.js';
import { randomHex } from '../../lib/crypto.js';
import { PreparedQuery } from '../db/prepared-query.js';

/**
 * HS256 signing and checking with revocation by `jti`, for the surfaces whose clients expect
 * JWTs. Revocations live in the database (`revoked_tokens`), so they outlive restarts and the
 * loss of Redis, and every node sees them.
 */
export interface JwtKit {
  /** Signs `claims` with iat, nbf, exp and a fresh jti. */
  sign(claims: Record<string, unknown>, expiresInS: number): Promise<string>;
  /** The payload when the signature, times and revocation list all pass; otherwise null. */
  verify(token: string): Promise<JWTPayload | null>;
  /**
   * The payload when the signature and times pass, revocation left to the caller: for a
   * read that checks `revokedJtiOf` together with its own data in one query (web sessions).
   */
  verifyIgnoringRevocation(token: string): Promise<JWTPayload | null>;
  /** Stops a token working at once, on every node and for good, until it would have expired anyway. */
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

/** How long a revocation outlives its token's expiry, for nodes whose clocks run a little behind. */
const SWEEP_MARGIN_MS = 60_000;

/** Kept for a token without `exp` (never signed here): it never expires, so neither does its revocation. */
const NEVER_MS = Number.MAX_SAFE_INTEGER;

/**
 * A subquery selecting `jti` from the revocation list (null when not revoked), for a read
 * that checks revocation in the same round trip as its other data.
 */
export function revokedJtiOf(eb: ExpressionBuilder<any, any>, jti: unknown) {
  return eb.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti as string);
}

/** The revocation list read on each check: served again on SQLite while nothing commits. */
const revokedJti = new PreparedQuery<{ jti: string }, [jti: string]>(
  1,
  (db, jti) => db.selectFrom('revoked_tokens').select('jti').where('jti', '=', jti as string),
  { reuseWhileUnchanged: true },
);

/** Whether `jti` is on the revocation list. A failing database propagates (an outage, not a bad token). */
export async function isJtiRevoked(db: Kysely<any>, jti: string): Promise<boolean> {
  return (await revokedJti.run(db, jti)).length > 0;
}

/** Puts `jti` on the revocation list until `expiresAtMs`, sweeping entries whose tokens have expired. */
async function recordRevocation(db: Kysely<any>, jti: string, expiresAtMs: number, nowMs: number): Promise<void> {
  await db
    .insertInto('revoked_tokens')
    .values({ jti, expires_at: expiresAtMs })
    .onConflict((oc) => oc.column('jti').doNothing())
    .execute();
  await db.deleteFrom('revoked_tokens').where('expires_at', '<=', nowMs - SWEEP_MARGIN_MS).execute();
}

/**
 * Builds the kit over a secret, the injected clock and the database (revocations). A token
 * whose signature has been checked once is remembered, so a busy client's requests skip the
 * HMAC; its times and the revocation list are checked every time.
 */
export function createJwtKit(secret: Uint8Array, clock: Clock, db: Kysely<any>): JwtKit {
  const verified = new Map<string, JWTPayload>();
  /** jose's rule: expired at `exp`, not valid before `nbf` (whole seconds). */
  const inTime = (payload: JWTPayload) => {
    const nowS = Math.floor(clock.now() / 1000);
    return (payload.exp === undefined || payload.exp > nowS) && (payload.nbf === undefined || payload.nbf <= nowS);
  };
  const verifyIgnoringRevocation = async (token: string): Promise<JWTPayload | null> => {
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
    return payload;
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
    verifyIgnoringRevocation,
    async verify(token) {
      const payload = await verifyIgnoringRevocation(token);
      if (!payload) return null;
      // A failing database is an outage (503), not a bad token: let it propagate.
      if (typeof payload.jti === 'string' && (await isJtiRevoked(db, payload.jti))) return null;
      return payload;
    },
    async revoke(payload) {
      if (typeof payload.jti !== 'string') return;
      const expiresAtMs = payload.exp === undefined ? NEVER_MS : payload.exp * 1000;
      await recordRevocation(db, payload.jti, expiresAtMs, clock.now());
    },
  };
}
