import type { JWTPayload } from 'jose';
import type { App } from '../app.js';
import type { User } from '../db/schema.js';
import { findUserById } from '../users/user-repo.js';

/**
 * Web sessions for the monitor and live surfaces: a Flask-JWT style HS256 token whose
 * `identity` claim is the user id. Both surfaces read it the same way, so it lives in
 * core and neither surface imports the other.
 */

/** A verified web token together with the user it names. */
export interface WebSession {
  user: User;
  /** The verified claims; `endWebSession` needs its `jti` and `exp`. */
  payload: JWTPayload;
  token: string;
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
export function issueWebToken(app: App, userId: number): Promise<string> {
  return app.jwt.sign({ identity: userId }, app.config.web.jwtTtlS);
}

/**
 * The session behind an `Authorization` header, or null when the header is missing or
 * malformed, the token fails its signature, time or revocation checks, or its user is gone.
 * A failing revocation store propagates (an outage, not a bad token).
 */
export async function readWebSession(app: App, authorization: string | undefined): Promise<WebSession | null> {
  const token = webTokenFromAuthorization(authorization);
  if (!token) return null;
  const payload = await app.jwt.verify(token);
  if (!payload) return null;
  const id = payload.identity;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return null;
  const user = await findUserById(app.db, id);
  return user ? { user, payload, token } : null;
}

/** Logs a session out: its token stops working at once, on every node. */
export async function endWebSession(app: App, session: WebSession): Promise<void> {
  await app.jwt.revoke(session.payload);
}
