import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../core/app.js';
import { readWebSession, webTokenFromAuthorization } from '../../core/auth/web-session.js';
import { AppError } from '../../core/errors.js';
import { installErrorFunnel, type ClassifiedError, type ErrorReplies, type WireReply } from '../../core/http/error-funnel.js';
import { parseEveryBodyAsJson } from '../../core/http/http-server.js';
import { updateAvatar } from '../../core/users/user-repo.js';
import { detectImageType, openAvatar, resolveAvatarFile, storeUploadedAvatar } from './avatars.js';
import {
  avatarUrl,
  chatMessageProblem,
  isValidAvatarName,
  isValidChatUsername,
  passwordProblem,
  tokenFromAuthorization,
} from './rules.js';
import {
  chatHistoryJson,
  forgetChatHistories,
  loginChatUser,
  loginChatUserByWebSession,
  logoutChatToken,
  postChatMessage,
  registerChatUser,
  userForChatToken,
  type LoginOutcome,
} from './service.js';

/** Builds a route's own error body from a message; the surface's error replies use it. */
type ErrorShape = (message: string) => object;

declare module 'fastify' {
  interface FastifyContextConfig {
    chatError?: ErrorShape;
  }
}

const registerError: ErrorShape = (message) => ({ type: 'register_-1', error: true, message });
const loginError: ErrorShape = (message) => ({ type: 'login_0', status: 'error', message });
const chatError: ErrorShape = (message) => ({ type: 'chat', status: 'error', message });
const avatarError: ErrorShape = (message) => ({ type: 'avatar', status: 'error', message });
const historyError: ErrorShape = (message) => ({ type: 'history', status: 'error', message });
const logoutError: ErrorShape = (message) => ({ type: 'logout', status: 'error', message });

/** chat.md: the chat call's 401 carries no message. */
const CHAT_UNAUTHORIZED = { type: 'chat', status: 'error' };

const shapeOf = (req: FastifyRequest): ErrorShape => req.routeOptions.config.chatError ?? chatError;
const inRouteShape =
  (status: number, message?: string) =>
  (error: ClassifiedError, req: FastifyRequest): WireReply => ({ status, body: shapeOf(req)(message ?? error.message) });

/** Every error code as chat answers it: the calling route's own error body with the code's status. */
const chatErrorReplies: ErrorReplies = {
  bad_request: inRouteShape(400),
  unauthorized: (error, req) => ({ status: 401, body: shapeOf(req) === chatError ? CHAT_UNAUTHORIZED : shapeOf(req)(error.message) }),
  forbidden: inRouteShape(403),
  not_found: inRouteShape(404),
  conflict: inRouteShape(409),
  already_logged_in: (error) => ({ status: 409, body: { type: 'login', status: 'error_0', message: error.message } }),
  payload_too_large: inRouteShape(413),
  rate_limited: inRouteShape(429),
  unavailable: inRouteShape(503, 'Service unavailable, try again shortly'),
  internal: inRouteShape(500, 'Internal error'),
};

function bodyObject(req: FastifyRequest): Record<string, unknown> | null {
  const body = req.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
}

/** The one file of a multipart upload; a malformed or oversized upload is a 400 or 413 AppError. */
async function uploadedPicture(req: FastifyRequest, maxBytes: number): Promise<Buffer> {
  let part;
  try {
    part = await req.file();
    if (part) return await part.toBuffer();
  } catch (err) {
    // Busboy's parse errors carry no status; only the size limits are 413.
    const { code, statusCode } = err as { code?: string; statusCode?: number };
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('payload_too_large', `Picture too large (at most ${maxBytes} bytes)`);
    if (statusCode === 413) throw new AppError('payload_too_large', 'Send one picture and nothing else');
    throw new AppError('bad_request', 'Malformed multipart upload');
  }
  throw new AppError('bad_request', 'No file in the upload');
}

/** The chat HTTP API as the seed clients call it, plus avatar upload and history. */
export async function chatRoutes(http: FastifyInstance, app: App): Promise<void> {
  parseEveryBodyAsJson(http);
  await http.register(multipart, { limits: { fileSize: app.config.chat.avatarMaxBytes, files: 1, fields: 5, parts: 6 } });

  installErrorFunnel(http, 'chat', chatErrorReplies);

  async function requireUser(req: FastifyRequest) {
    const token = tokenFromAuthorization(req.headers.authorization);
    const user = token ? await userForChatToken(app, token) : null;
    if (!user) throw new AppError('unauthorized', 'Invalid or missing token');
    return user;
  }

  http.post('/api/register', { config: { chatError: registerError } }, async (req, reply) => {
    const body = bodyObject(req);
    if (!body) throw new AppError('bad_request', 'Body must be a JSON object');
    if (!isValidChatUsername(body.username)) {
      return reply.code(400).send({
        type: 'register_-2',
        success: false,
        message:
          'Invalid username. Must be 2-20 characters, start with a letter or symbol, and contain only letters, numbers, or symbols: _!@#$%^&+-~?',
      });
    }
    const avatar = body.avatar === undefined || body.avatar === null || body.avatar === '' ? null : body.avatar;
    if (avatar !== null && !isValidAvatarName(avatar)) {
      return reply.code(400).send({ type: 'register_0', success: false, message: 'Invalid avatar format. Only .png or .jpg allowed' });
    }
    const badPassword = passwordProblem(body.password);
    if (badPassword) throw new AppError('bad_request', badPassword);
    const outcome = await registerChatUser(app, { username: body.username, password: body.password as string, avatar, ip: req.ip });
    if (outcome === 'username_taken') {
      return reply.code(403).send({ type: 'register_0', success: false, message: 'Username already exists' });
    }
    if (outcome === 'rate_limited') return reply.code(429).send(registerError('Too many registrations, try again later'));
    return { type: 'register_1', error: false, message: 'User registered successfully' };
  });

  http.post('/api/login', { config: { chatError: loginError } }, async (req, reply) => {
    const body = bodyObject(req);
    const credentialsGiven = body !== null && (body.username !== undefined || body.password !== undefined);
    if (!credentialsGiven && webTokenFromAuthorization(req.headers.authorization)) {
      // Beyond the seed: the console trades its web session (Authorization: JWT|Bearer) for a chat token.
      const web = await readWebSession(app, req.headers.authorization);
      if (!web) throw new AppError('unauthorized', 'Invalid credentials');
      return sendLoginOutcome(reply, await loginChatUserByWebSession(app, web.user));
    }
    if (!body || typeof body.username !== 'string' || typeof body.password !== 'string') {
      throw new AppError('bad_request', 'username and password are required');
    }
    return sendLoginOutcome(reply, await loginChatUser(app, { username: body.username, password: body.password, ip: req.ip }));
  });

  function sendLoginOutcome(reply: FastifyReply, outcome: LoginOutcome) {
    switch (outcome.kind) {
      case 'ok':
        return reply.send({ type: 'login_1', status: 'success', token: outcome.token, avatar: outcome.avatar });
      case 'already_logged_in':
        return reply.code(409).send({ type: 'login', status: 'error_0', message: 'Account already logged in' });
      case 'pending':
        return reply.code(403).send(loginError('Account not activated: follow the link in the activation e-mail'));
      case 'rate_limited':
        return reply
          .code(429)
          .header('retry-after', String(outcome.retryAfterS))
          .send(loginError(`Too many attempts, try again in ${outcome.retryAfterS} s`));
      case 'invalid':
        return reply.code(401).send({ type: 'login_0', status: 'error', message: 'Invalid credentials' });
    }
  }

  http.post('/api/logout', { config: { chatError: logoutError } }, async (req) => {
    const token = tokenFromAuthorization(req.headers.authorization);
    if (!token || !(await logoutChatToken(app, token))) throw new AppError('unauthorized', 'Invalid or missing token');
    return { type: 'logout', status: 'success' };
  });

  http.post('/api/chat', { config: { chatError } }, async (req) => {
    const user = await requireUser(req);
    const body = bodyObject(req);
    const problem = body ? chatMessageProblem(body.message, app.config.chat.maxMessageChars) : 'Body must be a JSON object';
    if (problem) throw new AppError('bad_request', problem);
    await postChatMessage(app, user, body!.message as string);
    return { type: 'chat', status: 'success' };
  });

  http.get('/api/chat/history', { config: { chatError: historyError } }, async (req, reply) => {
    await requireUser(req);
    const raw = (req.query as Record<string, string | undefined>).limit;
    const limit = raw === undefined ? 50 : /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= 200)) throw new AppError('bad_request', 'limit must be a whole number from 1 to 200');
    const messages = await chatHistoryJson(app, limit);
    return reply.type('application/json; charset=utf-8').send(`{"type":"history","status":"success","messages":${messages}}`);
  });

  http.post('/api/avatar', { config: { chatError: avatarError } }, async (req) => {
    const user = await requireUser(req);
    if (!req.isMultipart()) throw new AppError('bad_request', 'Send the picture as multipart/form-data');
    const bytes = await uploadedPicture(req, app.config.chat.avatarMaxBytes);
    const extension = detectImageType(bytes);
    if (!extension) throw new AppError('bad_request', 'Only PNG or JPEG pictures are accepted');
    const name = await storeUploadedAvatar(app.config.dataDir, user.username, bytes, extension, user.avatar);
    await updateAvatar(app.db, user.id, name);
    forgetChatHistories(app);
    return { type: 'avatar', status: 'success', avatar: avatarUrl(user.username, name) };
  });

  http.get('/avatar/:username/:filename', async (req, reply) => {
    const { username, filename } = req.params as { username: string; filename: string };
    const file = await resolveAvatarFile(app.config.dataDir, username, filename);
    if (!file) return reply.code(404).send({ type: 'avatar', status: 'error', message: 'Not found' });
    return reply.type(file.contentType).header('cache-control', 'public, max-age=300').send(openAvatar(file));
  });
}
