import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../core/app.js';
import { endWebSession, issueWebToken, readWebSession, type WebSession } from '../../core/auth/web-session.js';
import { AppError } from '../../core/errors.js';
import { installErrorFunnel, type ClassifiedError, type ErrorReplies, type WireReply } from '../../core/http/error-funnel.js';
import { parseEveryBodyAsJson } from '../../core/http/http-server.js';
import { beginGoogleLogin, finishGoogleLogin, GoogleLoginError, googleSettings } from './google.js';
import { userForGoogleIdentity } from './google-users.js';
import { adminUserJson, adminUserPage, exchangeDadashopToken, MAX_ADMIN_SET_LEVEL, setUserLevel } from './admin-service.js';
import { accessRequestJson, accessRequestsFor, ADMIN_LEVEL, decideAccess, loginWebUser, signupWebUser, webUserInfo } from './service.js';
import type { AccessRequestStatus } from './tables.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The key of this route's error body: the seed's web calls use "Error", the Google ones "error". */
    webErrorKey?: 'Error' | 'error';
  }
}

/** Largest level a sign-up may ask for: the column is a 32-bit integer. */
const MAX_LEVEL = 2_147_483_647;
const TAKEN = { email: 'email already registers', name: 'name already registers', phone: 'phone already registers' };
const STATUSES: readonly AccessRequestStatus[] = ['pending', 'approved', 'rejected'];
const GOOGLE = { config: { webErrorKey: 'error' as const } };

const answer = (req: FastifyRequest, status: number, message: string): WireReply => ({
  status,
  body: { [req.routeOptions.config.webErrorKey ?? 'Error']: message },
});
const ownMessage = (status: number) => (error: ClassifiedError, req: FastifyRequest) => answer(req, status, error.message);

/** Every error code as `{"Error": "<message>"}` (`"error"` on the Google routes); a framework 4xx other than 413 is a 400. */
const accountErrorReplies: ErrorReplies = {
  bad_request: ownMessage(400),
  unauthorized: ownMessage(401),
  forbidden: ownMessage(403),
  not_found: ownMessage(404),
  conflict: ownMessage(409),
  already_logged_in: ownMessage(409),
  payload_too_large: ownMessage(413),
  rate_limited: ownMessage(429),
  unavailable: (_error, req) => answer(req, 503, 'Service unavailable, try again shortly'),
  internal: (_error, req) => answer(req, 500, 'Internal error'),
};

/** Admin-only calls: a signed-in user below the admin level is a 403. */
function requireAdmin(session: WebSession): void {
  if (session.user.access_level < ADMIN_LEVEL) throw new AppError('forbidden', 'Forbidden');
}

function bodyObject(req: FastifyRequest): Record<string, unknown> {
  const body = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** A field as text: strings as sent, numbers (phones) in decimal; anything else, or blank, is missing. */
function field(body: Record<string, unknown>, name: string): string | null {
  const value = body[name];
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
  return text !== null && text.trim() !== '' ? text : null;
}

/** The level asked for in `Authorization: <digits>`: 0 when absent, null when not a level. */
function requestedLevel(header: string | undefined): number | null {
  const text = (header ?? '').trim();
  if (text === '') return 0;
  if (!/^\d{1,10}$/.test(text) || Number(text) > MAX_LEVEL) return null;
  return Number(text);
}

/** The web sign-up, login, logout, access-request and Google login routes under `/user/`. */
export async function accountRoutes(http: FastifyInstance, app: App): Promise<void> {
  parseEveryBodyAsJson(http);

  installErrorFunnel(http, 'web accounts', accountErrorReplies);

  async function requireSession(req: FastifyRequest): Promise<WebSession> {
    const session = await readWebSession(app, req.headers.authorization);
    if (!session) throw new AppError('unauthorized', 'Unauthorized');
    return session;
  }

  http.post('/user/signup', async (req, reply) => {
    const body = bodyObject(req);
    const [name, email, password, confirmation, phone] = ['s_name', 's_email', 's_password', 's_password_confirmation', 's_phone'].map((n) =>
      field(body, n),
    );
    if (!name || !email || !password || !confirmation || !phone) return reply.code(403).send({ Error: 'have some parameter null' });
    if (password !== confirmation) return reply.code(401).send({ Error: 'need identical password' });
    const level = requestedLevel(req.headers.authorization);
    if (level === null) throw new AppError('bad_request', 'invalid access level');
    const outcome = await signupWebUser(app, { name: name.trim(), email: email.trim(), password, phone: phone.trim(), requestedLevel: level });
    if (outcome.kind === 'taken') return reply.code(402).send({ Error: TAKEN[outcome.field] });
    return { message: 'JSON received successfully' };
  });

  http.post('/user/login', async (req, reply) => {
    const body = bodyObject(req);
    const name = field(body, 's_name');
    const password = field(body, 's_password');
    if (!name || !password) throw new AppError('bad_request', 'Missing required parameters');
    const outcome = await loginWebUser(app, { name: name.trim(), password, ip: req.ip });
    switch (outcome.kind) {
      case 'rate_limited':
        return reply.code(429).header('retry-after', String(outcome.retryAfterS)).send({ Error: 'Too many attempts, try again later' });
      case 'invalid':
        return reply.code(400).send({ Error: 'Invalid credentials' });
      case 'pending':
        return reply.code(403).send({ Error: 'Account not activated' });
      case 'ok':
        return { message: 'Login successful', user_info: webUserInfo(outcome.user), access_token: outcome.token };
    }
  });

  http.post('/user/logout', async (req) => {
    const session = await requireSession(req);
    await endWebSession(app, session);
    return { message: 'Logout successful' };
  });

  http.get('/user/access-requests', async (req) => {
    const session = await requireSession(req);
    const raw = (req.query as Record<string, unknown>).status;
    const status = raw === undefined || raw === '' ? null : STATUSES.find((s) => s === raw);
    if (status === undefined) throw new AppError('bad_request', 'invalid status');
    requireAdmin(session);
    return { requests: (await accessRequestsFor(app, status)).map(accessRequestJson) };
  });

  for (const [action, verdict] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    http.post(`/user/access-requests/:id/${action}`, async (req, reply) => {
      const session = await requireSession(req);
      const { id } = req.params as { id: string };
      const numeric = /^\d{1,10}$/.test(id) && Number(id) <= MAX_LEVEL ? Number(id) : null;
      const outcome = numeric === null ? { kind: 'not_found' as const } : await decideAccess(app, session.user, numeric, verdict);
      if (outcome.kind === 'not_found' && session.user.access_level < ADMIN_LEVEL) return reply.code(403).send({ Error: 'Forbidden' });
      switch (outcome.kind) {
        case 'forbidden':
          return reply.code(403).send({ Error: 'Forbidden' });
        case 'not_found':
          return reply.code(404).send({ Error: 'Access request not found' });
        case 'already_decided':
          return reply.code(409).send({ Error: 'Access request already decided' });
        case 'ok':
          return { message: `Access request ${verdict}`, request: accessRequestJson(outcome.request) };
      }
    });
  }

  // Beyond the seed, for the web console: token refresh, Weibo (dadashop token) exchange, admin user list.
  http.post('/user/token/refresh', async (req) => {
    const session = await requireSession(req);
    // The account as it is now (a level change ends the session instead: the old token is refused).
    return { access_token: await issueWebToken(app, session.user.id), user_info: webUserInfo(session.user) };
  });

  http.post('/user/token-exchange', async (req, reply) => {
    const token = field(bodyObject(req), 'token');
    if (!token) throw new AppError('bad_request', 'Missing required parameters');
    const outcome = await exchangeDadashopToken(app, token.trim());
    if (outcome.kind === 'invalid') throw new AppError('unauthorized', 'Invalid or expired token');
    if (outcome.kind === 'pending') return reply.code(403).send({ Error: 'Account not activated' });
    return { message: 'Login successful', user_info: webUserInfo(outcome.user), access_token: outcome.token };
  });

  http.get('/user/admin/users', async (req) => {
    requireAdmin(await requireSession(req));
    const query = req.query as Record<string, unknown>;
    const q = typeof query.q === 'string' ? query.q : '';
    const pageText = typeof query.page === 'string' && query.page !== '' ? query.page : '1';
    if (!/^\d{1,6}$/.test(pageText) || Number(pageText) < 1) throw new AppError('bad_request', 'invalid page');
    if (q.length > 100) throw new AppError('bad_request', 'search text too long');
    return adminUserPage(app, q, Number(pageText));
  });

  http.put('/user/admin/users/:id/level', async (req, reply) => {
    const session = await requireSession(req);
    requireAdmin(session);
    const { id } = req.params as { id: string };
    const level = bodyObject(req).access_level;
    if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > MAX_ADMIN_SET_LEVEL) {
      throw new AppError('bad_request', `access_level must be a whole number from 0 to ${MAX_ADMIN_SET_LEVEL}`);
    }
    const numeric = /^\d{1,10}$/.test(id) && Number(id) <= MAX_LEVEL ? Number(id) : null;
    const outcome = numeric === null ? { kind: 'not_found' as const } : await setUserLevel(app, session.user, numeric, level);
    switch (outcome.kind) {
      case 'forbidden':
        return reply.code(403).send({ Error: 'Forbidden' });
      case 'not_found':
        return reply.code(404).send({ Error: 'User not found' });
      case 'above_own':
        return reply.code(403).send({ Error: 'Cannot grant a level above your own' });
      case 'self_demotion':
        return reply.code(409).send({ Error: 'Admins cannot lower their own level below 9' });
      case 'ok':
        return { message: 'Access level updated', user: adminUserJson(outcome.user) };
    }
  });

  /** The provider settings, or the 404 of a server without Google login. */
  const requireGoogle = () => {
    const settings = googleSettings(app);
    if (!settings) throw new AppError('not_found', 'Google login is not configured');
    return settings;
  };
  /** A provider or state failure becomes a 400 naming what failed; its detail stays in the log. */
  const rethrowGoogleFailure =
    (step: string) =>
    (err: unknown): never => {
      if (!(err instanceof GoogleLoginError)) throw err;
      app.log.warn({ err: err.causeDetail }, `${step}: ${err.message}`);
      throw new AppError('bad_request', err.message);
    };

  http.get('/user/google-login', GOOGLE, async (_req, reply) => {
    const url = await beginGoogleLogin(app, requireGoogle()).catch(rethrowGoogleFailure('google login'));
    return reply.redirect(url, 302);
  });

  http.get('/user/google-callback', GOOGLE, async (req) => {
    const settings = requireGoogle();
    const identity = await finishGoogleLogin(app, settings, req.query as Record<string, unknown>).catch(rethrowGoogleFailure('google callback'));
    const user = await userForGoogleIdentity(app, identity);
    return { message: 'Google login successful', user_info: webUserInfo(user), access_token: await issueWebToken(app, user.id) };
  });
}
