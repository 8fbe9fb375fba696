import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../core/app.js';
import { AppError, isAppError, isUnavailable, outageCause } from '../../core/errors.js';
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
  startStudySession,
  studyPageText,
  studyStatsFor,
} from './service.js';
import { studentVerifierFromConfig, type StudentVerifier } from './verifier.js';
import { baseUrlOf, STUDY_PREFIX, studyErrorReply, studyJson, studyUrl, userJson } from './wire.js';

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

/**
 * The study tracker's HTTP API under `/api/v1.0`, as the seed's clients call it: HTTP
 * Basic auth (password or token), users, sessions with pagination, register, stats.
 */
export async function studyRoutes(
  http: FastifyInstance,
  app: App,
  verifier: StudentVerifier = studentVerifierFromConfig(app.config.studentVerifier),
): Promise<void> {
  parseEveryBodyAsJson(http);

  http.setErrorHandler((err, req, reply) => {
    const { status, body } = studyErrorReply(err);
    if (status === 500) req.log.error({ err }, 'study request failed');
    if (isUnavailable(err)) req.log.warn({ err: outageCause(err), reason: err.message }, 'study request: dependency unavailable');
    if (status === 401 && !isXhr(req)) reply.header('www-authenticate', 'Basic realm="Authentication Required"');
    return reply.code(status).send(body);
  });

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
    await authed(req);
    const user = await requireStudyUser(app, parseId(req.params.id));
    const page = pageOf(req);
    return sendJsonText(reply, await studyPageText(app, baseUrlOf(req), user.id, page));
  };
  http.get<{ Params: Params }>(`${P}/users/:id/studys/`, userStudys);
  http.get<{ Params: Params }>(`${P}/users/:id/studys`, userStudys);

  http.get<{ Params: Params }>(`${P}/users/:id/stats`, async (req) => {
    await authed(req);
    return studyStatsFor(app, parseId(req.params.id));
  });

  const allStudys = async (req: FastifyRequest, reply: FastifyReply) => {
    await authed(req);
    return sendJsonText(reply, await studyPageText(app, baseUrlOf(req), null, pageOf(req)));
  };
  http.get(`${P}/studys`, allStudys);
  http.get(`${P}/studys/`, allStudys);

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
