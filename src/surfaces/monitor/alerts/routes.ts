import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../../core/app.js';
import { readWebSession, type WebSession } from '../../../core/auth/web-session.js';
import { AppError, defaultStatusFor, isAppError, isUnavailable, outageCause } from '../../../core/errors.js';
import { parseEveryBodyAsJson } from '../../../core/http/http-server.js';
import { alertHistory, alertRules, updateAlertRules } from './service.js';

/** Users at or above this access level may edit alert rules. */
export const ADMIN_ACCESS_LEVEL = 9;

/** The wire form of every error here: `{"error": "<message>"}`, with the internal cause logged only. */
function errorReply(err: unknown): { status: number; body: { error: string } } {
  if (isUnavailable(err)) return { status: 503, body: { error: 'Service unavailable, try again shortly' } };
  if (isAppError(err)) {
    const status = defaultStatusFor[err.code];
    if (status < 500) return { status, body: { error: err.message } };
    return { status: 500, body: { error: 'Internal error' } };
  }
  const status = (err as { statusCode?: number }).statusCode;
  if (status && status >= 400 && status < 500) return { status, body: { error: (err as Error).message } };
  return { status: 500, body: { error: 'Internal error' } };
}

async function requireSession(app: App, req: FastifyRequest): Promise<WebSession> {
  const session = await readWebSession(app, req.headers.authorization);
  if (!session) throw new AppError('unauthorized', 'Unauthorized');
  return session;
}

/** A query parameter given at most once; a repeated one is a 400. */
function queryParam(req: FastifyRequest, name: string): string | undefined {
  const value = (req.query as Record<string, unknown>)[name];
  if (value !== undefined && typeof value !== 'string') throw new AppError('bad_request', `${name} may be given only once`);
  return value;
}

/**
 * Alert rules (`GET` for any signed-in web user, `PUT` for admins) and the alert history
 * (`GET /nfs/alerts?s_nf=&limit=`, open like the other monitor reads).
 */
export async function alertRoutes(http: FastifyInstance, app: App): Promise<void> {
  parseEveryBodyAsJson(http);
  http.setErrorHandler((err, req, reply) => {
    const { status, body } = errorReply(err);
    if (isUnavailable(err)) req.log.warn({ err: outageCause(err) }, 'alerts request: dependency unavailable');
    if (status === 500) req.log.error({ err }, 'alerts request failed');
    return reply.code(status).send(body);
  });

  http.get('/nfs/alert-rules', async (req) => {
    await requireSession(app, req);
    return { data: await alertRules(app) };
  });

  // Checked before the body is read, so a caller without rights learns nothing about its body.
  const requireAdmin = async (req: FastifyRequest) => {
    const session = await requireSession(app, req);
    if (session.user.access_level < ADMIN_ACCESS_LEVEL) throw new AppError('forbidden', 'Forbidden');
  };
  http.put('/nfs/alert-rules', { onRequest: requireAdmin }, async (req) => ({ data: await updateAlertRules(app, req.body) }));

  http.get('/nfs/alerts', async (req) => {
    const sNf = queryParam(req, 's_nf');
    return { data: await alertHistory(app, sNf === undefined || sNf === '' ? null : sNf, queryParam(req, 'limit')) };
  });
}
