import type { App } from '../../core/app.js';
import { verifyLoginWithinLimits } from '../../core/auth/login-limits.js';
import { findTokenUser, issueToken, revokeToken, revokeUserTokens } from '../../core/auth/tokens.js';
import { AnswerCache } from '../../core/db/answer-cache.js';
import type { User } from '../../core/db/schema.js';
import { AppError, isAppError } from '../../core/errors.js';
import type { HubConnection } from '../../core/realtime/connection.js';
import { registerAccount } from '../../core/users/accounts.js';
import { chatRoom } from './room.js';
import { insertChatMessage, latestChatMessages, newestChatMessageId } from './repo.js';
import { avatarUrl } from './rules.js';

/** Token kind for chat tokens in the shared tokens table. */
export const CHAT_TOKEN = 'chat';

/** Outcome of a registration, in the words both transports translate. */
export type RegisterOutcome = 'ok' | 'username_taken' | 'rate_limited';

/** Creates a chat account (argon2id), limited per client address. */
export async function registerChatUser(
  app: App,
  input: { username: string; password: string; avatar: string | null; ip: string },
): Promise<RegisterOutcome> {
  const limit = app.state.limits.create('chat-register', { points: app.config.chat.registrationsPerHour, durationS: 3600 });
  if (!(await limit.consume(input.ip)).allowed) return 'rate_limited';
  try {
    await registerAccount(app, { username: input.username, password: input.password, avatar: input.avatar });
    return 'ok';
  } catch (err) {
    if (isAppError(err) && err.code === 'conflict') return 'username_taken';
    throw err;
  }
}

/** Outcome of a login attempt. */
export type LoginOutcome =
  | { kind: 'ok'; user: User; token: string; avatar: string }
  | { kind: 'invalid' }
  | { kind: 'pending' }
  | { kind: 'already_logged_in' }
  | { kind: 'rate_limited'; retryAfterS: number };

/**
 * Checks credentials under the shared login limits (per account, name and address; see
 * core/auth/login-limits.ts), then the one-live-connection rule. With `conn`, the connection
 * becomes the user's live one; without (HTTP), a live connection elsewhere refuses the
 * login. A successful login ends the user's earlier chat tokens (one session per user).
 */
export async function loginChatUser(
  app: App,
  input: { username: string; password: string; ip: string; conn?: HubConnection },
): Promise<LoginOutcome> {
  const checked = await verifyLoginWithinLimits(app, {
    name: { username: input.username },
    password: input.password,
    ip: input.ip,
    attemptsPerMinute: app.config.chat.loginAttemptsPerMinute,
  });
  if (checked.kind !== 'ok') return checked;
  return startChatSession(app, checked.user, input.conn);
}

/**
 * Gives an already authenticated user (the console's web session) a chat token, under the
 * same rules as a password login: a live connection elsewhere refuses it, and earlier chat
 * tokens end.
 */
export function loginChatUserByWebSession(app: App, user: User): Promise<LoginOutcome> {
  return startChatSession(app, user);
}

async function startChatSession(app: App, user: User, conn?: HubConnection): Promise<LoginOutcome> {
  if (user.status === 'pending') return { kind: 'pending' };
  if (conn) {
    if (!(await chatRoom(app).claimUser(conn, { id: user.id, username: user.username }))) return { kind: 'already_logged_in' };
  } else if (await chatRoom(app).isUserLive(user.id)) {
    return { kind: 'already_logged_in' };
  }
  await revokeUserTokens(app, user.id, CHAT_TOKEN);
  const token = await issueToken(app, user.id, CHAT_TOKEN, app.config.chat.tokenTtlS);
  return { kind: 'ok', user, token, avatar: avatarUrl(user.username, user.avatar) };
}

/** Outcome of binding a connection with a chat token it already holds. */
export type TokenLoginOutcome = { kind: 'ok'; user: User; avatar: string } | { kind: 'invalid' } | { kind: 'already_logged_in' };

/**
 * Makes `conn` the live connection of the token's user, keeping the token: the console
 * gets its token over HTTP once, then logs every (re)connected socket in with it.
 */
export async function loginChatConnectionByToken(app: App, token: string, conn: HubConnection): Promise<TokenLoginOutcome> {
  const user = await userForChatToken(app, token);
  if (!user || user.status === 'pending') return { kind: 'invalid' };
  if (!(await chatRoom(app).claimUser(conn, { id: user.id, username: user.username }))) return { kind: 'already_logged_in' };
  return { kind: 'ok', user, avatar: avatarUrl(user.username, user.avatar) };
}

/** The user behind a chat token (sliding its expiry), or null. */
export function userForChatToken(app: App, token: string): Promise<User | null> {
  return findTokenUser(app, token, CHAT_TOKEN);
}

/** Ends a chat token; the connection holding the user is freed too. */
export async function logoutChatToken(app: App, token: string, conn?: HubConnection): Promise<boolean> {
  const user = await userForChatToken(app, token);
  if (!user) return false;
  await revokeToken(app, token);
  if (conn?.user?.id === user.id) await chatRoom(app).releaseUser(conn);
  return true;
}

/**
 * Stores a message (durable before anyone is told) and broadcasts it to every chat
 * client on every node. Throws AppError('rate_limited') past the per-user limit.
 */
export async function postChatMessage(app: App, user: User, message: string): Promise<void> {
  const limit = app.state.limits.create('chat-message', { points: app.config.chat.messagesPerMinute, durationS: 60 });
  const decision = await limit.consume(String(user.id));
  if (!decision.allowed) throw new AppError('rate_limited', 'Too many messages, slow down', { retryAfterMs: decision.retryAfterMs });
  await insertChatMessage(app.db, user.id, message, app.clock.now());
  await chatRoom(app).broadcast({ type: 'chat', user: user.username, message, avatar: avatarUrl(user.username, user.avatar) });
}

/** The latest persisted messages, oldest first, in the shape history clients read. */
export async function chatHistory(app: App, limit: number): Promise<object[]> {
  const rows = await latestChatMessages(app.db, limit);
  return rows.map((row) => ({
    id: row.id,
    user: row.username,
    message: row.message,
    avatar: avatarUrl(row.username, row.avatar),
    at: new Date(row.created_at).toISOString(),
  }));
}

/**
 * Histories already serialised. Every reader asks for the same few pages, which change only
 * when a message is posted: a page is read and serialised once and served again while the
 * database is unchanged (SQLite) or, on PostgreSQL, while the newest message id has not
 * moved, for at most a second (an avatar changed on another node shows within it).
 */
const histories = new AnswerCache(['chat_messages', 'users']);
const HISTORY_REUSE_MS = 1000;

/** `chatHistory` as JSON text, served again while it is current (see `histories`). */
export function chatHistoryJson(app: App, limit: number): Promise<string> {
  return histories.get(app.db, String(limit), app.clock.now(), async () => JSON.stringify(await chatHistory(app, limit)), {
    mark: () => newestChatMessageId(app.db),
    maxAgeMs: HISTORY_REUSE_MS,
  });
}

/** Forgets this node's serialised histories (an avatar changed). */
export function forgetChatHistories(app: App): void {
  histories.forget(app.db);
}
