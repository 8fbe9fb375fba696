import type { App } from '../../../core/app.js';
import type { Executor, User } from '../../../core/db/schema.js';
import { findUserById } from '../../../core/users/user-repo.js';
import { randomHex, sha256Hex } from '../../../lib/crypto.js';
import type { LiveTables } from '../tables.js';

/** What a stream key looks like: a prefix that names it in logs and leak scanners, then 160 random bits. */
const KEY_PREFIX = 'sk_';
const KEY_FORMAT = /^sk_[0-9a-f]{40}$/;

const keys = (db: Executor) => db.withTables<LiveTables>();

/**
 * Makes a new stream key for `user`, replacing any earlier one (which stops working at
 * once), and returns it: the only time it is ever shown. Only its SHA-256 is stored; a key
 * is 160 random bits, so a hash is as good as a slow one against a leaked table.
 */
export async function rotateStreamKey(app: App, user: User): Promise<{ key: string; createdAt: number }> {
  const key = `${KEY_PREFIX}${randomHex(20)}`;
  const createdAt = app.clock.now();
  const keyHash = sha256Hex(key);
  await keys(app.db)
    .insertInto('live_stream_keys')
    .values({ user_id: user.id, key_hash: keyHash, created_at: createdAt })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ key_hash: keyHash, created_at: createdAt }))
    .execute();
  return { key, createdAt };
}

/** When the user's current stream key was made, or null when they have none. */
export async function streamKeyCreatedAt(app: App, user: User): Promise<number | null> {
  const row = await keys(app.db).selectFrom('live_stream_keys').select('created_at').where('user_id', '=', user.id).executeTakeFirst();
  return row ? Number(row.created_at) : null;
}

/** Ends the user's stream key, if any. */
export async function revokeStreamKey(app: App, user: User): Promise<void> {
  await keys(app.db).deleteFrom('live_stream_keys').where('user_id', '=', user.id).execute();
}

/**
 * The streamer a stream key belongs to, or null. Looked up by its SHA-256, so the
 * comparison never runs over the secret itself.
 */
export async function streamKeyOwner(app: App, key: string): Promise<User | null> {
  if (!KEY_FORMAT.test(key)) return null;
  const row = await keys(app.db).selectFrom('live_stream_keys').select('user_id').where('key_hash', '=', sha256Hex(key)).executeTakeFirst();
  return row ? ((await findUserById(app.db, row.user_id)) ?? null) : null;
}
