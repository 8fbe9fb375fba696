import type { JWTPayload } from 'jose';
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { App } from '../app.js';
import type { User } from '../db/schema.js';
import { PreparedQuery } from '../db/prepared-query.js';
import { revokedJtiOf } from './jwt.js';

/**
 * Web sessions for the monitor and live surfaces: a Flask-JWT style HS256 token whose
 * `identity` claim is the user id. Both surfaces read it the same way, so it lives in
 * core and neither surface imports the other.
 *
 * A token ends early in two ways, both kept in the database: logout puts its `jti` on the
 * revocation list, and a level change (or anything else that calls `endWebSessions` in
 * core/users/user-repo.ts: a password change, an account disabled or deleted) moves the
 * user's session epoch, which ends every token signed under an earlier epoch. Both are read
 * in the same query as the user.
 */

/** A verified web token together with the user it names. */
export interface WebSession {
  user: User;
  /** The verified claims; `endWebSession` needs its `jti` and `exp`. */
  payload: JWTPayload;
  token: string;
}

/** The claim carrying the user's session epoch at signing; absent means 0 (tokens signed before epochs existed). */
export const SESSION_EPOCH_CLAIM = 'session_epoch';

/**
 * A user row read together with what may have ended a token of theirs: whether the token's
 * `jti` is revoked and the user's current session epoch (null when never moved).
 */
export type TokenHolderRow = User & { revoked_jti: string | null; current_session_epoch: number | null };

/** A subquery selecting the session epoch of the user in the outer `users` row. */
function sessionEpochOfUser(eb: ExpressionBuilder<any, any>) {
  return eb.selectFrom('user_session_epochs').select('epoch').whereRef('user_session_epochs.user_id', '=', 'users.id');
}

/**
 * A one-round-trip read of the user whose `column` equals the first value, with the
 * revocation of the `jti` given second and the user's session epoch; served again on
 * SQLite while nothing commits.
 */
export function tokenHolderQuery(column: 'id' | 'username'): PreparedQuery<TokenHolderRow, [key: number | string, jti: string]> {
  return new PreparedQuery<TokenHolderRow, [key: number | string, jti: string]>(
    2,
    (db, key, jti) =>
      db
        .selectFrom('users')
        .selectAll('users')
        .select((eb) => [revokedJtiOf(eb, jti).as('revoked_jti'), sessionEpochOfUser(eb).as('current_session_epoch')])
        .where(`users.${column}`, '=', key),
    { reuseWhileUnchanged: true },
  );
}

/** The user of a holder row when neither revocation applies to `payload`; otherwise null. */
export function userIfTokenStands(row: TokenHolderRow | undefined, payload: JWTPayload): User | null {
  if (!row || row.revoked_jti !== null) return null;
  if ((payload[SESSION_EPOCH_CLAIM] ?? 0) !== Number(row.current_session_epoch ?? 0)) return null;
  const { revoked_jti: _revoked, current_session_epoch: _epoch, ...user } = row;
  return user;
}

/** The session epoch claim for a token of `userId` signed now (none while the epoch is 0). */
export async function sessionEpochClaim(db: Kysely<any>, userId: number): Promise<Record<string, number>> {
  const row = await db.selectFrom('user_session_epochs').select('epoch').where('user_id', '=', userId).executeTakeFirst();
  const epoch = Number(row?.epoch ?? 0);
  return epoch ? { [SESSION_EPOCH_CLAIM]: epoch } : {};
}

/**
 * The token from an `Authorization` header in either scheme the seed clients send:
 * `JWT <t>` (Flask-JWT) or `Bearer <t>`, case-insensitive; anything else is null.
 */
export function webTokenFromAuthorization(header: string | undefined): string | null {
  const match = /^(?:JWT|Bearer)\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1]! : null;
}

/** Signs a web token for `userId` with the configured lifetime (WEB_JWT_TTL_S, default 300 s). */
export async function issueWebToken(app: App, userId: number): Promise<string> {
  return app.jwt.sign({ identity: userId, ...(await sessionEpochClaim(app.db, userId)) }, app.config.web.jwtTtlS);
}

/** The user behind a web token, with its revocation and the user's session epoch. */
const webTokenHolder = tokenHolderQuery('id');

/**
 * The session behind an `Authorization` header, or null when the header is missing or
 * malformed, the token fails its signature or time checks, was logged out, predates a
 * change that ended the user's sessions, or its user is gone. One database read (none on
 * SQLite while nothing has committed). A failing database propagates (an outage, not a bad token).
 */
export async function readWebSession(app: App, authorization: string | undefined): Promise<WebSession | null> {
  const token = webTokenFromAuthorization(authorization);
  if (!token) return null;
  const payload = await app.jwt.verifyIgnoringRevocation(token);
  if (!payload) return null;
  const id = payload.identity;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return null;
  const jti = typeof payload.jti === 'string' ? payload.jti : '';
  const user = userIfTokenStands((await webTokenHolder.run(app.db, id, jti))[0], payload);
  return user ? { user, payload, token } : null;
}

/** Logs a session out: its token stops working at once, on every node, across restarts. */
export async function endWebSession(app: App, session: WebSession): Promise<void> {
  await app.jwt.revoke(session.payload);
}
