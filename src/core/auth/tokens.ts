import { sql } from 'kysely';
import { randomHex, sha256Hex } from '../../lib/crypto.js';
import type { App } from '../app.js';

/**
 * Opaque bearer tokens: 128 random bits as 32 lowercase hex characters. Only the
 * SHA-256 is stored, so a database leak yields no usable token. Expiry slides: each
 * successful use moves it to `ttl` after that use. Rows survive restarts.
 */
export async function issueToken(app: App, userId: number, kind: string, ttlS: number): Promise<string> {
  const token = randomHex(16);
  const now = app.clock.now();
  await app.db
    .insertInto('tokens')
    .values({ hash: sha256Hex(token), user_id: userId, kind, ttl_s: ttlS, created_at: now, expires_at: now + ttlS * 1000 })
    .execute();
  return token;
}

/** Returns the token's user id and slides its expiry, or null when unknown, expired or of another kind. */
export async function validateToken(app: App, token: string, kind: string): Promise<number | null> {
  if (!/^[0-9a-f]{32}$/.test(token)) return null;
  const now = app.clock.now();
  const row = await app.db
    .updateTable('tokens')
    .set({ expires_at: sql<number>`cast(${now} as bigint) + cast(ttl_s as bigint) * 1000` })
    .where('hash', '=', sha256Hex(token))
    .where('kind', '=', kind)
    .where('expires_at', '>', now)
    .returning('user_id')
    .executeTakeFirst();
  return row?.user_id ?? null;
}

/** Ends one token at once (logout). */
export async function revokeToken(app: App, token: string): Promise<void> {
  await app.db.deleteFrom('tokens').where('hash', '=', sha256Hex(token)).execute();
}

/** Ends every token of a kind for a user (single-session replacement, password change). */
export async function revokeUserTokens(app: App, userId: number, kind: string): Promise<void> {
  await app.db.deleteFrom('tokens').where('user_id', '=', userId).where('kind', '=', kind).execute();
}

/** Deletes expired rows; run periodically so the table stays small. */
export async function deleteExpiredTokens(app: App): Promise<number> {
  const result = await app.db.deleteFrom('tokens').where('expires_at', '<=', app.clock.now()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
