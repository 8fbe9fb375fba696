import type { App } from '../app.js';
import type { User } from '../db/schema.js';
import { findUserByUsername } from '../users/user-repo.js';

/**
 * The JWT the dadashop front end keeps (HS256, `username`, DADASHOP_TOKEN_TTL_S, 1 day by
 * default). The verify surface issues it; the web accounts exchange a fresh one for a web
 * session after a Weibo login, so signing and reading it live in core.
 */

/** Signs the dadashop token for `username`. */
export function issueDadashopToken(app: App, username: string): Promise<string> {
  return app.jwt.sign({ username }, app.config.web.dadashopTokenTtlS);
}

/** A verified dadashop token: its user and the time it was issued (seconds). */
export interface DadashopTokenHolder {
  user: User;
  issuedAtS: number;
  jti: string;
}

/**
 * The user behind a dadashop token, or null when the signature, times or revocation
 * fail, or the claims are not exactly a dadashop token's (web JWTs carry `identity`,
 * Weibo bind tickets carry `purpose`; neither passes), or the user is gone.
 */
export async function readDadashopToken(app: App, token: string): Promise<DadashopTokenHolder | null> {
  const payload = await app.jwt.verify(token);
  if (!payload) return null;
  if (typeof payload.username !== 'string' || 'identity' in payload || 'purpose' in payload) return null;
  if (typeof payload.iat !== 'number' || typeof payload.jti !== 'string') return null;
  const user = await findUserByUsername(app.db, payload.username);
  return user ? { user, issuedAtS: payload.iat, jti: payload.jti } : null;
}
