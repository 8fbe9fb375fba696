import { randomHex, sha256Hex } from '../../lib/crypto.js';
import type { App } from '../app.js';
import { PreparedQuery } from '../db/prepared-query.js';
import type { Executor, User } from '../db/schema.js';

/**
 * Opaque bearer tokens: 128 random bits as 32 lowercase hex characters. Only the
 * SHA-256 is stored, so a database leak yields no usable token. Expiry slides: a token
 * ends `ttl` after its last use, give or take one slide step (see `tokenSlideStepMs`).
 * Rows survive restarts; every check reads the row, so revocation ends a token at once
 * on every node.
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

/**
 * How far a token's stored expiry may trail its last use: a use writes the new expiry only
 * once the stored one is more than this behind `now + ttl`, so a busy token costs one write
 * per step instead of one per request. A tenth of the lifetime, at most a minute: a chat
 * token (1 hour) ends between 59 and 60 minutes after its last use.
 */
export function tokenSlideStepMs(ttlS: number): number {
  return Math.min(60_000, (ttlS * 1000) / 10);
}

const TOKEN_FORMAT = /^[0-9a-f]{32}$/;

/**
 * A token of a kind, joined with its user; the caller checks its expiry. Served again while
 * nothing has committed, so a busy token is one version check: a revocation is a commit, so
 * it still ends the token at the next request.
 */
const tokenWithUser = new PreparedQuery<User & { token_expires_at: number; token_ttl_s: number }, [hash: string, kind: string]>(
  2,
  (db, hash, kind) =>
    (db as Executor)
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .selectAll('users')
      .select(['tokens.expires_at as token_expires_at', 'tokens.ttl_s as token_ttl_s'])
      .where('tokens.hash', '=', hash as string)
      .where('tokens.kind', '=', kind as string),
  { reuseWhileUnchanged: true },
);

/**
 * The user behind a token of `kind`, or null when the token is unknown, expired, of another
 * kind or its user is gone: one read (the token joined with its user). Slides the expiry
 * with one write when the stored one trails by more than a slide step.
 */
export async function findTokenUser(app: App, token: string, kind: string): Promise<User | null> {
  if (!TOKEN_FORMAT.test(token)) return null;
  const now = app.clock.now();
  const hash = sha256Hex(token);
  const [row] = await tokenWithUser.run(app.db, hash, kind);
  if (!row || Number(row.token_expires_at) <= now) return null;
  const { token_expires_at: storedExpiry, token_ttl_s: ttlS, ...user } = row;
  const slid = now + ttlS * 1000;
  if (slid - Number(storedExpiry) > tokenSlideStepMs(ttlS)) {
    // Never moves it back: another node may have slid it further meanwhile.
    await app.db.updateTable('tokens').set({ expires_at: slid }).where('hash', '=', hash).where('expires_at', '<', slid).execute();
  }
  return user;
}

/** Returns the token's user id (sliding its expiry as `findTokenUser` does), or null. */
export async function validateToken(app: App, token: string, kind: string): Promise<number | null> {
  return (await findTokenUser(app, token, kind))?.id ?? null;
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
