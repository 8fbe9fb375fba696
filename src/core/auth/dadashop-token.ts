import type { App } from '../app.js';
import type { User } from '../db/schema.js';
import { sessionEpochClaim, tokenHolderQuery, userIfTokenStands } from './web-session.js';

/**
 * The JWT the dadashop front end keeps (HS256, `username`, DADASHOP_TOKEN_TTL_S, 1 day by
 * default). The verify surface issues it; the web accounts exchange a fresh one for a web
 * session after a Weibo login, so signing and reading it live in core. Like a web token it
 * ends early on revocation or when the user's session epoch moves (see web-session.ts).
 */

/** Signs the dadashop token for `username`. */
export async function issueDadashopToken(app: App, username: string): Promise<string> {
  const user = await app.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirst();
  const epoch = user ? await sessionEpochClaim(app.db, user.id) : {};
  return app.jwt.sign({ username, ...epoch }, app.config.web.dadashopTokenTtlS);
}

/** A verified dadashop token: its user and the time it was issued (seconds). */
export interface DadashopTokenHolder {
  user: User;
  issuedAtS: number;
  jti: string;
}

/** The user behind a dadashop token, with its revocation and the user's session epoch. */
const dadashopTokenHolder = tokenHolderQuery('username');

/**
 * The user behind a dadashop token, or null when the signature, times or revocation
 * fail, the claims are not exactly a dadashop token's (web JWTs carry `identity`,
 * Weibo bind tickets carry `purpose`; neither passes), the user's sessions were ended
 * since it was signed, or the user is gone.
 */
export async function readDadashopToken(app: App, token: string): Promise<DadashopTokenHolder | null> {
  const payload = await app.jwt.verifyIgnoringRevocation(token);
  if (!payload) return null;
  if (typeof payload.username !== 'string' || 'identity' in payload || 'purpose' in payload) return null;
  if (typeof payload.iat !== 'number' || typeof payload.jti !== 'string') return null;
  const user = userIfTokenStands((await dadashopTokenHolder.run(app.db, payload.username, payload.jti))[0], payload);
  return user ? { user, issuedAtS: payload.iat, jti: payload.jti } : null;
}
