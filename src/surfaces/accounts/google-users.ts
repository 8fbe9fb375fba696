import type { App } from '../../core/app.js';
import { isUniqueViolation } from '../../core/db/database.js';
import type { User } from '../../core/db/schema.js';
import { isAppError } from '../../core/errors.js';
import { registerAccount } from '../../core/users/accounts.js';
import { findUserByEmail, findUserById, findUserByUsername } from '../../core/users/user-repo.js';
import { randomHex } from '../../lib/crypto.js';
import { findUserIdByIdentity, insertIdentity } from '../../core/users/identity-repo.js';

/** Provider name of Google identities in the shared `identities` table. */
export const GOOGLE_PROVIDER = 'google';

/** A username candidate from an e-mail's local part: safe characters only, at most 20. */
export function usernameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? '';
  const cleaned = local.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[._-]+/, '').slice(0, 20);
  return cleaned.length >= 2 ? cleaned : `user_${cleaned}`;
}

async function bind(app: App, userId: number, subject: string): Promise<void> {
  try {
    await insertIdentity(app.db, { userId, provider: GOOGLE_PROVIDER, subject, createdAt: app.clock.now() });
  } catch (err) {
    // The same Google account bound by a concurrent callback: the row we wanted exists.
    if (!isUniqueViolation(err)) throw err;
  }
}

/**
 * The user for a verified Google identity: the one already bound to `sub`, else the one
 * with that e-mail (then bound), else a new level-0 account with a unique username derived
 * from the e-mail and no password (then bound). Races with a concurrent sign-up of the
 * same e-mail end on the account that won.
 */
export async function userForGoogleIdentity(app: App, identity: { sub: string; email: string }): Promise<User> {
  const email = identity.email.trim().toLowerCase();
  const boundId = await findUserIdByIdentity(app.db, GOOGLE_PROVIDER, identity.sub);
  const bound = boundId === null ? undefined : await findUserById(app.db, boundId);
  if (bound) return bound;
  const existing = await findUserByEmail(app.db, email);
  if (existing) {
    await bind(app, existing.id, identity.sub);
    return existing;
  }
  const base = usernameFromEmail(email);
  for (let attempt = 0; attempt < 8; attempt++) {
    const username = attempt === 0 ? base : `${base.slice(0, 14)}_${randomHex(3)}`;
    if (await findUserByUsername(app.db, username)) continue;
    try {
      const id = await registerAccount(app, { username, password: null, email });
      await bind(app, id, identity.sub);
      return (await findUserById(app.db, id))!;
    } catch (err) {
      if (!isAppError(err) || err.code !== 'conflict') throw err;
      if (err.details.field === 'email') {
        const winner = await findUserByEmail(app.db, email);
        if (winner) {
          await bind(app, winner.id, identity.sub);
          return winner;
        }
      }
    }
  }
  throw new Error('could not find a free username for a Google account');
}
