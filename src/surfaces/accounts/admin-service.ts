import type { App } from '../../core/app.js';
import { readDadashopToken } from '../../core/auth/dadashop-token.js';
import { issueWebToken } from '../../core/auth/web-session.js';
import type { User } from '../../core/db/schema.js';
import { findUserById, searchUsers, updateAccessLevel } from '../../core/users/user-repo.js';
import { ADMIN_LEVEL } from './service.js';

/**
 * Console additions to the web accounts, beyond the seed: refreshing the short-lived web
 * JWT, exchanging a fresh dadashop token (Weibo login) for a web session, and the admin
 * page's user list and level changes.
 */

/** Users per page in the admin list. */
export const ADMIN_PAGE_SIZE = 20;
/** Highest level the admin page sets. */
export const MAX_ADMIN_SET_LEVEL = 9;
/** A dadashop token older than this cannot be exchanged: the console exchanges it right after the Weibo callback. */
export const EXCHANGE_MAX_AGE_S = 600;

/** A user row for the admin list (times as ISO strings; never the password hash). */
export function adminUserJson(user: User): object {
  return {
    id: user.id,
    s_name: user.username,
    s_email: user.email,
    s_phone: user.phone,
    access_level: user.access_level,
    status: user.status,
    created_at: new Date(user.created_at).toISOString(),
  };
}

/** One page (1-based) of users matching `query`. */
export async function adminUserPage(app: App, query: string, page: number): Promise<object> {
  const { users, total } = await searchUsers(app.db, { query, offset: (page - 1) * ADMIN_PAGE_SIZE, limit: ADMIN_PAGE_SIZE });
  return { users: users.map(adminUserJson), page, page_size: ADMIN_PAGE_SIZE, total };
}

/** Outcome of an admin setting someone's level. */
export type SetLevelOutcome =
  | { kind: 'ok'; user: User }
  | { kind: 'forbidden' }
  | { kind: 'not_found' }
  | { kind: 'above_own' }
  | { kind: 'self_demotion' };

/**
 * Sets a user's access level. Only admins; never above the admin's own level; an admin
 * cannot take their own level below ADMIN_LEVEL, so the last admin cannot lock everyone
 * out. Each change is logged with who, whom and the levels (no secrets).
 */
export async function setUserLevel(app: App, admin: User, userId: number, level: number): Promise<SetLevelOutcome> {
  if (admin.access_level < ADMIN_LEVEL) return { kind: 'forbidden' };
  const user = await findUserById(app.db, userId);
  if (!user) return { kind: 'not_found' };
  if (level > admin.access_level) return { kind: 'above_own' };
  if (user.id === admin.id && level < ADMIN_LEVEL) return { kind: 'self_demotion' };
  await updateAccessLevel(app.db, user.id, level);
  app.log.info({ admin: admin.username, adminId: admin.id, user: user.username, userId: user.id, from: user.access_level, to: level }, 'access level changed');
  return { kind: 'ok', user: { ...user, access_level: level } };
}

/** Outcome of a dadashop-token exchange. */
export type ExchangeOutcome = { kind: 'ok'; user: User; token: string } | { kind: 'invalid' } | { kind: 'pending' };

/**
 * Trades a dadashop token for a web JWT, as `/user/login` would answer. Narrow on
 * purpose: only a genuine dadashop token (not a web JWT or a bind ticket), at most
 * EXCHANGE_MAX_AGE_S old, exchanged once, for an activated account. The dadashop token
 * itself stays valid for dadashop, as before.
 */
export async function exchangeDadashopToken(app: App, token: string): Promise<ExchangeOutcome> {
  const holder = await readDadashopToken(app, token);
  if (!holder) return { kind: 'invalid' };
  const ageS = Math.floor(app.clock.now() / 1000) - holder.issuedAtS;
  if (ageS > EXCHANGE_MAX_AGE_S) return { kind: 'invalid' };
  if (holder.user.status === 'pending') return { kind: 'pending' };
  const firstUse = await app.state.kv.setIfAbsent(`dadashop-exchanged:${holder.jti}`, '1', (EXCHANGE_MAX_AGE_S + 60) * 1000);
  if (!firstUse) return { kind: 'invalid' };
  return { kind: 'ok', user: holder.user, token: await issueWebToken(app, holder.user.id) };
}
