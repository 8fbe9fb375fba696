import type { FastifyInstance, FastifyReply } from 'fastify';
import type { App } from '../../core/app.js';
import { installErrorFunnel, type ClassifiedError, type ErrorReplies } from '../../core/http/error-funnel.js';
import { parseEveryBodyAsJson } from '../../core/http/http-server.js';
import { requireActivationBase } from './activation-links.js';
import { activateDadashopUser, registerDadashopUser, sendDadashopSmsCode } from './dadashop-service.js';
import { dadashopError, invalidField, takenField, weiboError, type DadashopReply } from './dadashop-wire.js';
import { bodyFields } from './rules.js';
import { bindWeiboAccount, completeWeiboLogin, weiboAuthorizationUrl } from './weibo-service.js';

const send = (reply: FastifyReply, answer: DadashopReply) => reply.code(answer.status).send(answer.body);

/** `{"code":<status>,"error":{"message"}}` with that HTTP status: front end B's form for what its table has no code for. */
const statusReply = (status: number, message: string): DadashopReply => ({ status, body: { code: status, error: { message } } });
const ownMessage = (status: number) => (error: ClassifiedError) => statusReply(status, error.message);

/**
 * Every error code as front end B answers it: bad input is 10115 (bad JSON named as
 * such), a taken field 10116, a rate limit 10117; the rest carry their HTTP status as
 * `code`, and an outage or a failure say only that.
 */
const dadashopErrorReplies: ErrorReplies = {
  bad_request: (error) =>
    invalidField(error.origin === 'app' ? error.message : /json/i.test(error.message) ? 'body is not valid JSON' : 'bad request'),
  unauthorized: ownMessage(401),
  forbidden: ownMessage(403),
  not_found: ownMessage(404),
  conflict: (error) => takenField(error.field ?? 'username'),
  already_logged_in: ownMessage(409),
  payload_too_large: () => ({ status: 413, body: { code: 10115, error: { message: 'request body too large' } } }),
  rate_limited: () => dadashopError('too_many_requests'),
  unavailable: () => statusReply(503, 'service unavailable, try again shortly'),
  internal: () => statusReply(500, 'internal error'),
};


/**
 * Front end B ("dadashop") under `/v1/users`: SMS codes, sign-up with an activation
 * e-mail, activation, and Weibo login with account binding.
 */
export async function dadashopRoutes(http: FastifyInstance, app: App): Promise<void> {
  parseEveryBodyAsJson(http);
  installErrorFunnel(http, 'dadashop', dadashopErrorReplies);

  http.post('/v1/users/sms/code', async (req, reply) => {
    const outcome = await sendDadashopSmsCode(app, { phone: bodyFields(req.body)?.phone, ip: req.ip });
    if (outcome === 'sms_sent') return { code: 200, data: '發送成功' };
    return send(reply, dadashopError(outcome));
  });

  http.post('/v1/users', async (req, reply) => {
    const result = await registerDadashopUser(app, bodyFields(req.body) ?? {}, requireActivationBase(app, req.socket.localPort));
    switch (result.outcome) {
      case 'registered':
        return { code: 200, username: result.username, data: { token: result.token }, carts_count: 0 };
      case 'invalid_field':
        return send(reply, invalidField(result.message));
      case 'code_wrong':
        return send(reply, dadashopError('code_wrong'));
      case 'taken':
        return send(reply, takenField(result.field));
    }
  });

  http.get<{ Querystring: Record<string, unknown> }>('/v1/users/activation', async (req, reply) => {
    if ((await activateDadashopUser(app, req.query.code)) === 'activated') return { code: 200, data: '激活成功' };
    return send(reply, dadashopError('activation_invalid'));
  });

  http.get('/v1/users/weibo/authorization', async (_req, reply) => {
    const url = await weiboAuthorizationUrl(app);
    return url === null ? send(reply, weiboError('not_configured')) : { code: 200, oauth_url: url };
  });

  http.get<{ Querystring: Record<string, unknown> }>('/v1/users/weibo/users', async (req, reply) => {
    const result = await completeWeiboLogin(app, { code: req.query.code, state: req.query.state });
    if (result.outcome === 'bound') return { code: 200, username: result.username, token: result.token };
    if (result.outcome === 'unbound') return { code: 201, uid: result.ticket };
    return send(reply, weiboError(result.outcome));
  });

  http.post('/v1/users/weibo/users', async (req, reply) => {
    const result = await bindWeiboAccount(app, bodyFields(req.body) ?? {}, requireActivationBase(app, req.socket.localPort));
    if (result.outcome === 'bound') return { code: 200, username: result.username, token: result.token };
    if (result.outcome === 'invalid_field') return send(reply, { status: 200, body: { code: 10115, error: result.message } });
    return send(reply, weiboError(result.outcome));
  });
}
