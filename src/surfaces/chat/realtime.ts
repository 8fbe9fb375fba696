import type { App } from '../../core/app.js';
import { isAppError } from '../../core/errors.js';
import type { HubConnection } from '../../core/realtime/connection.js';
import { chatRoom } from './room.js';
import { chatMessageProblem, isValidAvatarName, isValidChatUsername, passwordProblem } from './rules.js';
import { loginChatConnectionByToken, loginChatUser, logoutChatToken, postChatMessage, registerChatUser, userForChatToken } from './service.js';

type Message = Record<string, unknown>;

async function register(app: App, conn: HubConnection, msg: Message): Promise<object> {
  if (!isValidChatUsername(msg.username)) {
    return { type: 'register_-2', success: false, message: 'Invalid username format' };
  }
  const avatar = msg.avatar === undefined || msg.avatar === null || msg.avatar === '' ? null : msg.avatar;
  if (avatar !== null && !isValidAvatarName(avatar)) {
    return { type: 'register_-3', success: false, message: 'Invalid avatar format. Only .png or .jpg allowed' };
  }
  const badPassword = passwordProblem(msg.password);
  if (badPassword) return { type: 'register_-1', error: true, message: badPassword };
  const outcome = await registerChatUser(app, { username: msg.username, password: msg.password as string, avatar, ip: conn.remoteAddress });
  if (outcome === 'username_taken') return { type: 'register_0', success: false, message: 'Username already exists' };
  if (outcome === 'rate_limited') return { type: 'register_-1', error: true, message: 'Too many registrations, try again later' };
  return { type: 'register_1', error: false, message: 'User registered successfully' };
}

async function loginByToken(app: App, conn: HubConnection, token: unknown): Promise<object> {
  const outcome = typeof token === 'string' ? await loginChatConnectionByToken(app, token, conn) : { kind: 'invalid' as const };
  switch (outcome.kind) {
    case 'ok':
      return {
        type: 'login',
        status: 'success',
        message: 'Login successful',
        token,
        username: outcome.user.username,
        avatar: outcome.avatar,
      };
    case 'already_logged_in':
      return { type: 'login', status: 'error_-1', message: 'Account already logged in' };
    case 'invalid':
      return { type: 'login', status: 'error_It', message: 'Invalid token' };
  }
}

async function login(app: App, conn: HubConnection, msg: Message): Promise<object> {
  // Beyond the seed: `{"type":"login","token"}` logs in with a chat token the client already holds.
  if (msg.token !== undefined && msg.username === undefined && msg.password === undefined) return loginByToken(app, conn, msg.token);
  if (typeof msg.username !== 'string' || typeof msg.password !== 'string') {
    return { type: 'login', status: 'error_0', message: 'Invalid credentials' };
  }
  const outcome = await loginChatUser(app, { username: msg.username, password: msg.password, ip: conn.remoteAddress, conn });
  switch (outcome.kind) {
    case 'ok':
      return {
        type: 'login',
        status: 'success',
        message: 'Login successful',
        token: outcome.token,
        username: outcome.user.username,
        avatar: outcome.avatar,
      };
    case 'already_logged_in':
      return { type: 'login', status: 'error_-1', message: 'Account already logged in' };
    case 'pending':
      return { type: 'login', status: 'error_0', message: 'Account not activated: follow the link in the activation e-mail' };
    case 'rate_limited':
      return { type: 'login', status: 'error_429', message: `Too many attempts, try again in ${outcome.retryAfterS} s` };
    case 'invalid':
      return { type: 'login', status: 'error_0', message: 'Invalid credentials' };
  }
}

async function chat(app: App, _conn: HubConnection, msg: Message): Promise<object> {
  if (msg.token === undefined || msg.token === null || msg.token === '') {
    return { type: 'chat', status: 'error_Mt', message: 'Missing token' };
  }
  const user = typeof msg.token === 'string' ? await userForChatToken(app, msg.token) : null;
  if (!user) return { type: 'chat', status: 'error_It', message: 'Invalid token' };
  if (!(await chatRoom(app).isUserLive(user.id))) return { type: 'chat', status: 'error_Nli', message: 'Not logged in' };
  const problem = chatMessageProblem(msg.message, app.config.chat.maxMessageChars);
  if (problem) return { type: 'chat', status: 'error', message: problem };
  try {
    await postChatMessage(app, user, msg.message as string);
  } catch (err) {
    if (isAppError(err) && err.code === 'rate_limited') return { type: 'chat', status: 'error_429', message: err.message };
    throw err;
  }
  return { type: 'chat', status: 'success' };
}

async function heartbeat(app: App, _conn: HubConnection, msg: Message): Promise<object> {
  const user = typeof msg.token === 'string' && msg.token !== '' ? await userForChatToken(app, msg.token) : null;
  const live = user !== null && (await chatRoom(app).isUserLive(user.id));
  return { type: 'heartbeat', status: live ? 'success' : 'error' };
}

async function logout(app: App, conn: HubConnection, msg: Message): Promise<object> {
  const ok = typeof msg.token === 'string' && (await logoutChatToken(app, msg.token, conn));
  return ok ? { type: 'logout', status: 'success' } : { type: 'logout', status: 'error', message: 'Invalid token' };
}

/** Teaches the hub the chat requests; TCP and WebSocket clients share them. */
export function registerChatHandlers(app: App): void {
  const bind = (fn: (app: App, conn: HubConnection, msg: Message) => Promise<object>) => (conn: HubConnection, msg: Message) =>
    fn(app, conn, msg);
  app.hub.handle('register', bind(register));
  app.hub.handle('login', bind(login));
  app.hub.handle('chat', bind(chat));
  app.hub.handle('heartbeat', bind(heartbeat));
  app.hub.handle('logout', bind(logout));
}
