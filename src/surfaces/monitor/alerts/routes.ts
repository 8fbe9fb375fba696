import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../../core/app.js';
import { readWebSession, type WebSession } from '../../../core/auth/web-session.js';
import { AppError } from '../../../core/errors.js';
import { installErrorFunnel, type ClassifiedError, type ErrorReplies, type WireReply } from '../../../core/http/error-funnel.js';
import { parseEveryBodyAsJson } from '../../../core/http/http-server.js';
import { alertHistory, alertRules, updateAlertRules } from './service.js';

/** Users at or above this access level may edit alert rules. */
export const ADMIN_ACCESS_LEVEL = 9;

const answer = (status: number, error: string): WireReply => ({ status, body: { error } });
/** The suggested status (a framework 4xx keeps its own) with the error's own message. */
const asSuggested = (error: ClassifiedError) => answer(error.status, error.message);

/** Every error code as `{"error": "<message>"}`; an outage or a failure says only that. */
const alertErrorReplies: ErrorReplies = {
  bad_request: asSuggested,
  unauthorized: asSuggested,
  forbidden: asSuggested,
  not_found: asSuggested,
  conflict: asSuggested,
  already_logged_in: asSuggested,
  payload_too_large: asSuggested,
  rate_limited: asSuggested,
  unavailable: () => answer(503, 'Service unavailable, try again shortly'),
  internal: () => answer(500, 'Internal error'),
};

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
  installErrorFunnel(http, 'alerts', alertErrorReplies);

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
