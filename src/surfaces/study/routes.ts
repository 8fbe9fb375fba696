import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../core/app.js';
import { AppError } from '../../core/errors.js';
import { installErrorFunnel, type ClassifiedError, type ErrorReplies, type WireReply } from '../../core/http/error-funnel.js';
import { parseEveryBodyAsJson } from '../../core/http/http-server.js';
import { parseId, parsePage } from './rules.js';
import {
  authenticateStudyRequest,
  authenticateWebSessionForToken,
  endStudySession,
  issueStudyToken,
  registerStudent,
  requireStudySession,
  requireStudyUser,
  sessionsOfUserFor,
  sessionsVisibleTo,
  startStudySession,
  studyPageText,
  studyStatsFor,
} from './service.js';
import { studentVerifierFromConfig, type StudentVerifier } from './verifier.js';
import { baseUrlOf, STUDENT_SYSTEM_UNREACHABLE, STUDY_PREFIX, studyJson, studyUrl, userJson } from './wire.js';

type Params = { id: string };

const sendJsonText = (reply: FastifyReply, text: string) => reply.type('application/json; charset=utf-8').send(text);

function bodyObject(req: FastifyRequest): Record<string, unknown> {
  const body = req.body;
  if (body === undefined || body === null) return {};
  if (typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  throw new AppError('bad_request', 'Body must be a JSON object');
}

function pageOf(req: FastifyRequest): number {
  const page = parsePage((req.query as Record<string, unknown>).page);
  if (page === null) throw new AppError('bad_request', 'page must be a whole number from 1');
  return page;
}

const isXhr = (req: FastifyRequest) => String(req.headers['x-requested-with'] ?? '').toLowerCase() === 'xmlhttprequest';

const answer = (status: number, error: string, message?: string): WireReply => ({
  status,
  body: message === undefined ? { error } : { error, message },
});
const ownMessage = (status: number, error: string) => (e: ClassifiedError) => answer(status, error, e.message);

/**
 * Every error code as study.md's `{"error","message"}` (the seed's 404 is `{"error":"not
 * found"}`). A failed login asks for Basic auth, except from a script page (XHR), so the
 * browser shows no prompt.
 */
const studyErrorReplies: ErrorReplies = {
  bad_request: ownMessage(400, 'bad request'),
  unauthorized: (_e, req) => ({
    ...answer(401, 'unauthorized', 'Invalid credentials'),
    ...(isXhr(req) ? {} : { headers: { 'www-authenticate': 'Basic realm="Authentication Required"' } }),
  }),
  forbidden: ownMessage(403, 'forbidden'),
  not_found: () => answer(404, 'not found'),
  conflict: ownMessage(409, 'conflict'),
  already_logged_in: ownMessage(409, 'conflict'),
  payload_too_large: ownMessage(413, 'payload too large'),
  rate_limited: ownMessage(429, 'too many requests'),
  // The school system's own outage keeps the seed's message; Redis or the database gets a generic one.
  unavailable: (e) => answer(503, 'service unavailable', e.message === STUDENT_SYSTEM_UNREACHABLE ? e.message : 'try again shortly'),
  internal: () => answer(500, 'internal server error', 'Internal error'),
};

/**
 * The study tracker's HTTP API under `/api/v1.0`, as the seed's clients call it: HTTP
 * Basic auth (password or token), users, sessions with pagination, register, stats.
 */
export async function studyRoutes(
  http: FastifyInstance,
  app: App,
  verifier: StudentVerifier = studentVerifierFromConfig(app.config.study.studentVerifier),
): Promise<void> {
  parseEveryBodyAsJson(http);

  installErrorFunnel(http, 'study', studyErrorReplies);

  const authed = (req: FastifyRequest) => authenticateStudyRequest(app, req.headers.authorization, req.ip);
  const P = STUDY_PREFIX;

  http.get(`${P}/token`, async (req) => {
    const web = await authenticateWebSessionForToken(app, req.headers.authorization);
    const token = await issueStudyToken(app, web ?? (await authed(req)));
    return { token, expiration: app.config.study.tokenTtlS };
  });

  http.get<{ Params: Params }>(`${P}/users/:id`, async (req) => {
    await authed(req);
    return userJson(baseUrlOf(req), await requireStudyUser(app, parseId(req.params.id)));
  });

  const userStudys = async (req: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    const { user: viewer } = await authed(req);
    const list = sessionsOfUserFor(viewer, await requireStudyUser(app, parseId(req.params.id)));
    return sendJsonText(reply, await studyPageText(app, baseUrlOf(req), list, pageOf(req)));
  };
  http.get<{ Params: Params }>(`${P}/users/:id/studys/`, userStudys);
  http.get<{ Params: Params }>(`${P}/users/:id/studys`, userStudys);

  http.get<{ Params: Params }>(`${P}/users/:id/stats`, async (req) => {
    await authed(req);
    return studyStatsFor(app, parseId(req.params.id));
  });

  const visibleStudys = async (req: FastifyRequest, reply: FastifyReply) => {
    const { user: viewer } = await authed(req);
    return sendJsonText(reply, await studyPageText(app, baseUrlOf(req), sessionsVisibleTo(viewer), pageOf(req)));
  };
  http.get(`${P}/studys`, visibleStudys);
  http.get(`${P}/studys/`, visibleStudys);

  const start = async (req: FastifyRequest, reply: FastifyReply) => {
    const { user } = await authed(req);
    const session = await startStudySession(app, user, bodyObject(req).start_time);
    const base = baseUrlOf(req);
    return reply.code(201).header('location', studyUrl(base, session.id)).send(studyJson(base, session));
  };
  http.post(`${P}/studys/`, start);
  http.post(`${P}/studys`, start);

  http.put<{ Params: Params }>(`${P}/studys/:id`, async (req) => {
    const { user } = await authed(req);
    const session = await endStudySession(app, user, parseId(req.params.id), bodyObject(req).end_time);
    return studyJson(baseUrlOf(req), session);
  });

  http.get<{ Params: Params }>(`${P}/studys/:id`, async (req) => {
    await authed(req);
    return studyJson(baseUrlOf(req), await requireStudySession(app, parseId(req.params.id)));
  });

  http.post(`${P}/register`, async (req, reply) => {
    const body = req.body;
    const fields = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const user = await registerStudent(app, verifier, {
      username: fields.username,
      password: fields.password,
      stu_id: fields.stu_id,
      stu_pwd: fields.stu_pwd,
    });
    const base = baseUrlOf(req);
    return reply.code(201).header('location', `${base}${P}/users/${user.id}`).send(userJson(base, user));
  });
}
