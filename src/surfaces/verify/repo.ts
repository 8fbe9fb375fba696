import type { Executor } from '../../core/db/schema.js';

/** The provider name Weibo identities are stored under in `identities`. */
export const WEIBO_PROVIDER = 'weibo';

/**
 * Ends the pending state of an account after its e-mail was confirmed (the mailed link
 * proves the address: Google login may then link to it, see accounts/google-users.ts).
 */
export async function activateUser(db: Executor, userId: number, at: number): Promise<void> {
  await db.updateTable('users').set({ status: 'active', email_verified_at: at }).where('id', '=', userId).execute();
}
