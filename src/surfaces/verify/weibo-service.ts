import type { App } from '../../core/app.js';
import { isUniqueViolation } from '../../core/db/database.js';
import { insertUser } from '../../core/users/user-repo.js';
import { randomHex } from '../../lib/crypto.js';
import { issueDadashopToken } from '../../core/auth/dadashop-token.js';
import { dadashopAccountProblem, sendActivationMail, type DadashopFieldProblem } from './dadashop-service.js';
import { findUserIdByIdentity, insertIdentity } from '../../core/users/identity-repo.js';
import { WEIBO_PROVIDER } from './repo.js';

/**
 * Weibo login for front end B. The seed handed the raw Weibo uid to the browser and
 * trusted any uid posted back; here the browser only ever holds a signed, 10-minute,
 * one-time bind ticket naming the identity that really completed the flow.
 */

/** How long the `state` of an authorization URL and a bind ticket stay good. */
export const WEIBO_STATE_TTL_S = 600;
export const BIND_TICKET_TTL_S = 600;
/** The ticket's purpose claim, so no other JWT of ours passes as one. */
const BIND_PURPOSE = 'weibo-bind';

const stateKey = (state: string) => `weibo-state:${state}`;

/** True when Weibo login is set up (client id, secret and redirect URI). */
export function weiboConfigured(app: App): boolean {
  const { clientId, clientSecret, redirectUri } = app.config.verify.weibo;
  return Boolean(clientId && clientSecret && redirectUri);
}

/** The authorization URL with a fresh one-time `state`, or null when Weibo is not configured. */
export async function weiboAuthorizationUrl(app: App): Promise<string | null> {
  const { clientId, redirectUri, authorizeUrl } = app.config.verify.weibo;
  if (!clientId || !redirectUri) return null;
  const state = randomHex(16);
  await app.state.kv.set(stateKey(state), '1', WEIBO_STATE_TTL_S * 1000);
  const url = new URL(authorizeUrl);
  url.searchParams.set('client_id', clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('state', state);
  return url.toString();
}

/**
 * Trades an authorization code for the Weibo uid: a form-encoded POST, read as plain
 * JSON because Weibo's answer (`access_token, expires_in, remind_in, uid`) has no
 * `token_type` that OAuth libraries insist on. Null on any failure; the cause is logged.
 */
export async function exchangeWeiboCode(app: App, code: string): Promise<string | null> {
  const { clientId, clientSecret, redirectUri, tokenUrl } = app.config.verify.weibo;
  if (!clientId || !clientSecret || !redirectUri) return null;
  try {
    const response = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, grant_type: 'authorization_code', code, redirect_uri: redirectUri }),
      signal: AbortSignal.timeout(app.config.verify.weibo.timeoutMs),
    });
    const answer = (await response.json().catch(() => null)) as { access_token?: unknown; uid?: unknown } | null;
    const uid = typeof answer?.uid === 'number' ? String(answer.uid) : answer?.uid;
    if (!response.ok || typeof answer?.access_token !== 'string' || typeof uid !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(uid)) {
      app.log.warn({ status: response.status }, 'weibo token exchange refused');
      return null;
    }
    return uid;
  } catch (err) {
    app.log.warn({ cause: String(err) }, 'weibo token exchange failed');
    return null;
  }
}

/**
 * The callback: checks the one-time state, exchanges the code, then answers a token for
 * a bound identity or a bind ticket for a new one.
 */
export async function completeWeiboLogin(
  app: App,
  request: { code: unknown; state: unknown },
): Promise<
  | { outcome: 'no_code' | 'bad_state' | 'weibo_busy' }
  | { outcome: 'bound'; username: string; token: string }
  | { outcome: 'unbound'; ticket: string }
> {
  if (typeof request.code !== 'string' || request.code === '') return { outcome: 'no_code' };
  if (typeof request.state !== 'string' || !/^[0-9a-f]{32}$/.test(request.state)) return { outcome: 'bad_state' };
  if ((await app.state.kv.take(stateKey(request.state))) === null) return { outcome: 'bad_state' };
  const uid = await exchangeWeiboCode(app, request.code);
  if (uid === null) return { outcome: 'weibo_busy' };
  const userId = await findUserIdByIdentity(app.db, WEIBO_PROVIDER, uid);
  const user = userId === null ? undefined : await app.db.selectFrom('users').select('username').where('id', '=', userId).executeTakeFirst();
  if (user) return { outcome: 'bound', username: user.username, token: await issueDadashopToken(app, user.username) };
  return { outcome: 'unbound', ticket: await app.jwt.sign({ purpose: BIND_PURPOSE, weibo_uid: uid }, BIND_TICKET_TTL_S) };
}

/**
 * Creates a pending account and binds the ticket's Weibo identity to it in one
 * transaction, then spends the ticket and queues the activation mail. A taken name,
 * phone or e-mail, or an identity bound meanwhile, rolls everything back.
 */
export async function bindWeiboAccount(
  app: App,
  body: Record<string, unknown>,
  activationBase: string,
): Promise<{ outcome: 'bad_ticket' | 'database_error' } | DadashopFieldProblem | { outcome: 'bound'; username: string; token: string }> {
  const payload = typeof body.uid === 'string' ? await app.jwt.verify(body.uid) : null;
  const uid = payload?.purpose === BIND_PURPOSE ? payload.weibo_uid : undefined;
  if (!payload || typeof uid !== 'string') return { outcome: 'bad_ticket' };
  const problem = dadashopAccountProblem(body, 'username');
  if (problem) return problem;
  const username = String(body.username);
  const email = String(body.email).trim().toLowerCase();
  const passwordHash = await app.passwords.hash(String(body.password));
  const now = app.clock.now();
  try {
    await app.db.transaction().execute(async (trx) => {
      const userId = await insertUser(trx, { username, passwordHash, phone: String(body.phone), email, status: 'pending', createdAt: now });
      await insertIdentity(trx, { userId, provider: WEIBO_PROVIDER, subject: uid, createdAt: now });
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return { outcome: 'database_error' };
  }
  await app.jwt.revoke(payload);
  await sendActivationMail(app, { username, email }, activationBase);
  return { outcome: 'bound', username, token: await issueDadashopToken(app, username) };
}
