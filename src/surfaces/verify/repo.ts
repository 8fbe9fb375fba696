import type { Executor } from '../../core/db/schema.js';

/** The provider name Weibo identities are stored under in `identities`. */
export const WEIBO_PROVIDER = 'weibo';

/** Ends the pending state of an account after its e-mail was confirmed. */
export async function activateUser(db: Executor, userId: number): Promise<void> {
  await db.updateTable('users').set({ status: 'active' }).where('id', '=', userId).execute();
}
