import type { Executor } from '../db/schema.js';

/** The user bound to a third-party identity (Weibo, Google), or null. */
export async function findUserIdByIdentity(db: Executor, provider: string, subject: string): Promise<number | null> {
  const row = await db
    .selectFrom('identities')
    .select('user_id')
    .where('provider', '=', provider)
    .where('subject', '=', subject)
    .executeTakeFirst();
  return row?.user_id ?? null;
}

/** Binds an identity to a user; a second binding of the same identity is a unique violation. */
export async function insertIdentity(
  db: Executor,
  row: { userId: number; provider: string; subject: string; createdAt: number },
): Promise<void> {
  await db
    .insertInto('identities')
    .values({ user_id: row.userId, provider: row.provider, subject: row.subject, created_at: row.createdAt })
    .execute();
}
