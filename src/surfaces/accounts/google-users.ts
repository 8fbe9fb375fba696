import type { App } from '../../core/app.js';
import { isUniqueViolation } from '../../core/db/database.js';
import type { User } from '../../core/db/schema.js';
import { findUserByEmail, findUserById, findUserByUsername, insertUser } from '../../core/users/user-repo.js';
import { randomHex } from '../../lib/crypto.js';
import { findUserIdByIdentity, insertIdentity } from '../../core/users/identity-repo.js';

/** Provider name of Google identities in the shared `identities` table. */
export const GOOGLE_PROVIDER = 'google';

/** What a verified ID token says about the person logging in. */
export interface GoogleClaims {
  sub: string;
  email: string;
  /** The token's `email_verified`: Google vouches that this person owns `email`. */
  emailVerified: boolean;
}

/** How many usernames (and lost races) a new Google account tries before giving up. */
const MAX_ATTEMPTS = 8;

/** A username candidate from an e-mail's local part: safe characters only, at most 20. */
export function usernameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? '';
  const cleaned = local.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^[._-]+/, '').slice(0, 20);
  return cleaned.length >= 2 ? cleaned : `user_${cleaned}`;
}

/**
 * Whether a Google login may take over the local account holding the same e-mail: only
 * when both sides have proven the address. Web sign-up never proves it, so an account
 * made there with someone else's address must not receive that person's Google login.
 */
export function mayLinkByEmail(holder: User, claims: GoogleClaims): boolean {
  return claims.emailVerified && holder.email_verified_at !== null;
}

async function userBoundTo(app: App, subject: string): Promise<User | undefined> {
  const id = await findUserIdByIdentity(app.db, GOOGLE_PROVIDER, subject);
  return id === null ? undefined : findUserById(app.db, id);
}

/** Binds `subject` to `holder`; if a concurrent callback bound it first, that binding wins. */
async function linkToHolder(app: App, holder: User, subject: string): Promise<User> {
  try {
    await insertIdentity(app.db, { userId: holder.id, provider: GOOGLE_PROVIDER, subject, createdAt: app.clock.now() });
    return holder;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return (await userBoundTo(app, subject)) ?? holder;
  }
}

function usernameCandidate(base: string, attempt: number): string {
  return attempt === 0 ? base : `${base.slice(0, 14)}_${randomHex(3)}`;
}

/**
 * A new level-0 account without a password, bound to `claims.sub` in the same transaction.
 * `email` is null when another account holds the address. Null when a unique column was
 * taken meanwhile (username, e-mail, or the subject itself): the caller looks again.
 */
async function createBoundUser(app: App, claims: GoogleClaims, email: string | null, username: string): Promise<User | null> {
  const now = app.clock.now();
  try {
    const id = await app.db.transaction().execute(async (trx) => {
      const userId = await insertUser(trx, {
        username,
        passwordHash: null,
        email,
        emailVerifiedAt: email !== null && claims.emailVerified ? now : null,
        createdAt: now,
      });
      await insertIdentity(trx, { userId, provider: GOOGLE_PROVIDER, subject: claims.sub, createdAt: now });
      return userId;
    });
    return (await findUserById(app.db, id)) ?? null;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return null;
  }
}

/**
 * The user for a verified Google identity: the one already bound to `sub`; else the one
 * holding that e-mail when both Google and that account have verified it (then bound);
 * else a new level-0 account with a unique username derived from the e-mail, kept apart
 * from any account that holds the address (the new one then carries no e-mail). Races
 * with concurrent sign-ups or callbacks are settled by looking again.
 */
export async function userForGoogleIdentity(app: App, claims: GoogleClaims): Promise<User> {
  const email = claims.email.trim().toLowerCase();
  const base = usernameFromEmail(email);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const bound = await userBoundTo(app, claims.sub);
    if (bound) return bound;
    const holder = await findUserByEmail(app.db, email);
    if (holder && mayLinkByEmail(holder, claims)) return linkToHolder(app, holder, claims.sub);
    const username = usernameCandidate(base, attempt);
    if (await findUserByUsername(app.db, username)) continue;
    const created = await createBoundUser(app, claims, holder ? null : email, username);
    if (created) return created;
  }
  throw new Error('could not find a free username for a Google account');
}
