import type { App } from '../../core/app.js';
import { verifyLoginWithinLimits } from '../../core/auth/login-limits.js';
import { issueWebToken } from '../../core/auth/web-session.js';
import { isUniqueViolation } from '../../core/db/database.js';
import type { User } from '../../core/db/schema.js';
import { findUserByEmail, findUserByPhone, findUserByUsername, insertUser, updateAccessLevel } from '../../core/users/user-repo.js';
import { decideAccessRequest, findAccessRequest, insertAccessRequest, listAccessRequests, type AccessRequest } from './repo.js';
import type { AccessRequestStatus } from './tables.js';

/** Access level from which a user may list and decide access requests (the live surface's "admin"). */
export const ADMIN_LEVEL = 9;

/** The `user_info` object the web clients read after a login. */
export function webUserInfo(user: User): object {
  return { s_name: user.username, s_email: user.email, s_phone: user.phone, access_level: user.access_level };
}

/** Which unique field a sign-up collided on; e-mail is checked (and reported) first, then name, then phone. */
export type SignupOutcome = { kind: 'ok'; userId: number; requestId: number; granted: boolean } | { kind: 'taken'; field: 'email' | 'name' | 'phone' };

async function takenField(app: App, input: { name: string; email: string; phone: string }): Promise<'email' | 'name' | 'phone' | null> {
  if (await findUserByEmail(app.db, input.email)) return 'email';
  if (await findUserByUsername(app.db, input.name)) return 'name';
  if (await findUserByPhone(app.db, input.phone)) return 'phone';
  return null;
}

/**
 * Creates a web account and records its access-level request in one transaction. Levels
 * up to SIGNUP_MAX_SELF_LEVEL are granted at once; higher ones stay pending (level 0)
 * until an admin approves. Taken fields are checked before the insert, and a unique
 * violation from a concurrent sign-up is mapped the same way afterwards.
 */
export async function signupWebUser(
  app: App,
  input: { name: string; email: string; password: string; phone: string; requestedLevel: number },
): Promise<SignupOutcome> {
  const fields = { name: input.name, email: input.email.toLowerCase(), phone: input.phone };
  const before = await takenField(app, fields);
  if (before) return { kind: 'taken', field: before };
  const passwordHash = await app.passwords.hash(input.password);
  const granted = input.requestedLevel <= app.config.accounts.signupMaxSelfLevel;
  const at = app.clock.now();
  try {
    return await app.db.transaction().execute(async (trx) => {
      const userId = await insertUser(trx, {
        username: fields.name,
        passwordHash,
        email: fields.email,
        phone: fields.phone,
        accessLevel: 0,
        createdAt: at,
      });
      if (granted && input.requestedLevel > 0) await updateAccessLevel(trx, userId, input.requestedLevel);
      const requestId = await insertAccessRequest(trx, { userId, level: input.requestedLevel, at, decided: granted });
      return { kind: 'ok' as const, userId, requestId, granted };
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const field = await takenField(app, fields);
    if (!field) throw err;
    return { kind: 'taken', field };
  }
}

/** Outcome of a web login. */
export type WebLoginOutcome =
  | { kind: 'ok'; user: User; token: string }
  | { kind: 'invalid' }
  | { kind: 'pending' }
  | { kind: 'rate_limited'; retryAfterS: number };

/**
 * Checks a name (username, e-mail or phone) and password and signs a web JWT. Failed tries
 * count per account (whichever name or surface was used), per name and per address
 * (WEB_LOGIN_ATTEMPTS_PER_MINUTE per account; see core/auth/login-limits.ts).
 */
export async function loginWebUser(app: App, input: { name: string; password: string; ip: string }): Promise<WebLoginOutcome> {
  const checked = await verifyLoginWithinLimits(app, {
    name: { usernameEmailOrPhone: input.name },
    password: input.password,
    ip: input.ip,
    attemptsPerMinute: app.config.accounts.loginAttemptsPerMinute,
  });
  if (checked.kind !== 'ok') return checked;
  if (checked.user.status === 'pending') return { kind: 'pending' };
  return { kind: 'ok', user: checked.user, token: await issueWebToken(app, checked.user.id) };
}

/** Access requests for the admin list. */
export function accessRequestsFor(app: App, status: AccessRequestStatus | null): Promise<AccessRequest[]> {
  return listAccessRequests(app.db, status, 500);
}

/** Outcome of an admin decision. */
export type DecisionOutcome =
  | { kind: 'ok'; request: AccessRequest }
  | { kind: 'forbidden' }
  | { kind: 'not_found' }
  | { kind: 'already_decided' };

/**
 * Approves (setting the user's level) or rejects a pending request. The admin needs level
 * >= 9 and may not grant a level above their own. The status change and the level change
 * commit together; a request already decided is left alone.
 */
export async function decideAccess(app: App, admin: User, id: number, verdict: 'approved' | 'rejected'): Promise<DecisionOutcome> {
  if (admin.access_level < ADMIN_LEVEL) return { kind: 'forbidden' };
  const request = await findAccessRequest(app.db, id);
  if (!request) return { kind: 'not_found' };
  if (verdict === 'approved' && request.requested_level > admin.access_level) return { kind: 'forbidden' };
  const changed = await app.db.transaction().execute(async (trx) => {
    if (!(await decideAccessRequest(trx, { id, status: verdict, by: admin.id, at: app.clock.now() }))) return false;
    if (verdict === 'approved') await updateAccessLevel(trx, request.user_id, request.requested_level);
    return true;
  });
  if (!changed) return { kind: 'already_decided' };
  return { kind: 'ok', request: (await findAccessRequest(app.db, id))! };
}

/** An access request on the wire (times as ISO strings). */
export function accessRequestJson(request: AccessRequest): object {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: request.id,
    user_id: request.user_id,
    s_name: request.username,
    requested_level: request.requested_level,
    status: request.status,
    created_at: iso(request.created_at),
    decided_at: iso(request.decided_at),
    decided_by: request.decided_by,
  };
}
