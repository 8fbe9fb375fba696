import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../core/app.js';
import { installErrorFunnel, type ErrorReplies, type WireReply } from '../../core/http/error-funnel.js';
import { parseEveryBodyAsJson } from '../../core/http/http-server.js';
import { issueCaptcha } from '../../core/verification/captcha.js';
import {
  endIhomeSession,
  loginIhomeUser,
  readIhomeSession,
  registerIhomeUser,
  sendIhomeSmsCode,
  type IhomeSession,
} from './ihome-service.js';
import { ihomeBody, type IhomeOutcome } from './ihome-wire.js';
import { bodyFields, clearedSessionCookie, IHOME_COOKIE, IMAGE_CODE_ID, isChinaMobile, readCookie, sessionCookie } from './rules.js';

/** Only in NODE_ENV=test does a captcha carry its answer, so end-to-end tests can solve it. */
export const TEST_CAPTCHA_HEADER = 'x-test-captcha-answer';

const P = '/api/v1.0';

const answer = (status: number, outcome: IhomeOutcome): WireReply => ({ status, body: ihomeBody(outcome) });
/** A verify.md code the outcome table has no general row for, with iHome's usual text for it. */
const retCode = (errcode: string, errmsg: string): WireReply => ({ status: 200, body: { errcode, errmsg } });

/**
 * Every error code as iHome answers it: HTTP 200 with an errcode (the seed's pages only
 * read the body), except a huge body (413), a rate limit (429), an outage (503, 4001)
 * and a failure (500, 4500).
 */
const ihomeErrorReplies: ErrorReplies = {
  bad_request: () => answer(200, 'bad_param'),
  unauthorized: () => retCode('4101', '用户未登录'),
  forbidden: () => retCode('4104', '用户身份错误'),
  not_found: () => retCode('4002', '无数据'),
  conflict: () => retCode('4003', '数据已存在'),
  already_logged_in: () => retCode('4003', '数据已存在'),
  payload_too_large: () => answer(413, 'body_too_large'),
  rate_limited: () => answer(429, 'captcha_too_frequent'),
  unavailable: () => answer(503, 'db_error'),
  internal: () => answer(500, 'server_error'),
};

/**
 * Front end A ("iHome") under `/api/v1.0`: image captchas, captcha-gated SMS codes,
 * phone sign-up and the session cookie. Shares the prefix with the study surface; the
 * paths themselves never overlap.
 */
export async function ihomeRoutes(http: FastifyInstance, app: App): Promise<void> {
  parseEveryBodyAsJson(http);
  installErrorFunnel(http, 'ihome', ihomeErrorReplies);

  const secure = (req: FastifyRequest) => req.protocol === 'https';
  const cookieToken = (req: FastifyRequest) => readCookie(req.headers.cookie, IHOME_COOKIE);
  const withSession = (req: FastifyRequest, reply: FastifyReply, session: IhomeSession) =>
    reply.header('set-cookie', sessionCookie(session.token, secure(req)));

  const captchaBudget = app.state.limits.create('captcha-image', { points: app.config.verify.captchaPerIpPerMinute, durationS: 60 });
  http.get<{ Params: { id: string } }>(`${P}/image_codes/:id`, async (req, reply) => {
    if (!IMAGE_CODE_ID.test(req.params.id)) return ihomeBody('bad_param');
    // Rendering costs CPU: one client address gets a bounded number of pictures a minute.
    if (!(await captchaBudget.consume(req.ip)).allowed) return reply.code(429).send(ihomeBody('captcha_too_frequent'));
    const { png, answer } = await issueCaptcha(app, req.params.id);
    reply.header('content-type', 'image/png').header('cache-control', 'no-store');
    if (app.config.nodeEnv === 'test') reply.header(TEST_CAPTCHA_HEADER, answer);
    return reply.send(png);
  });

  http.get<{ Params: { mobile: string }; Querystring: Record<string, unknown> }>(`${P}/sms_codes/:mobile`, async (req, reply) => {
    // The seed's route only matches a mobile number; anything else is its 404.
    if (!isChinaMobile(req.params.mobile)) return reply.code(404).send(ihomeBody('bad_mobile'));
    const outcome = await sendIhomeSmsCode(app, {
      mobile: req.params.mobile,
      imageCodeId: req.query.image_code_id,
      imageCodeText: req.query.image_code_text,
      ip: req.ip,
    });
    return ihomeBody(outcome);
  });

  http.post(`${P}/users`, async (req, reply) => {
    const result = await registerIhomeUser(app, bodyFields(req.body) ?? {});
    if (result.outcome !== 'registered') return ihomeBody(result.outcome);
    const { session } = result;
    return withSession(req, reply, session).send(ihomeBody('registered', { user_id: session.userId, name: session.name }));
  });

  http.post(`${P}/sessions`, async (req, reply) => {
    const fields = bodyFields(req.body) ?? {};
    const result = await loginIhomeUser(app, { mobile: fields.mobile, password: fields.password, ip: req.ip });
    if (result.outcome !== 'logged_in') return ihomeBody(result.outcome);
    return withSession(req, reply, result.session).send(ihomeBody('logged_in'));
  });

  http.get(`${P}/session`, async (req) => {
    const session = await readIhomeSession(app, cookieToken(req));
    return session ? ihomeBody('session_ok', { name: session.name, user_id: session.userId }) : ihomeBody('no_session');
  });

  http.delete(`${P}/session`, async (req, reply) => {
    await endIhomeSession(app, cookieToken(req));
    return reply.header('set-cookie', clearedSessionCookie(secure(req))).send(ihomeBody('logged_out'));
  });
}
