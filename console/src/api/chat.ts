import { errorMessage, request, type ApiResult } from './http.js';
import { session, updateSession, webAuth } from './session.js';

/** One chat message as the page shows it (history rows and live broadcasts alike). */
export interface ChatMessage {
  /** Stable key: the history id, or a local counter for live ones. */
  key: string;
  user: string;
  message: string;
  avatar: string;
  /** When it was sent (history only; live messages are "now"). */
  at: Date;
}

/** Longest chat message the server accepts, in characters (code points). */
export const MAX_MESSAGE_CHARS = 4096;

/** Why no chat token could be had: `busy` = another tab or device holds the chat. */
export type ChatTokenResult = { token: string; avatar?: string } | { error: string; busy?: boolean };

/**
 * The chat token for this console session: the cached one, or a new one traded for the
 * web JWT (`POST /api/login` with `Authorization: JWT`). `fresh` skips the cache (after a 401).
 */
export async function chatToken(fresh = false): Promise<ChatTokenResult> {
  const cached = session.value?.chatToken;
  if (cached && !fresh) return { token: cached, avatar: session.value?.chatAvatar };
  const res = await request('POST', '/api/login', { headers: webAuth() });
  if (res.status === 200 && typeof res.body?.token === 'string') {
    updateSession({ chatToken: res.body.token, chatAvatar: res.body.avatar });
    return { token: res.body.token, avatar: res.body.avatar };
  }
  if (res.status === 409) return { error: 'Your chat is open in another tab or on another device.', busy: true };
  if (res.status === 401) return { error: 'Your sign-in has expired. Sign in again to chat.' };
  return { error: errorMessage(res.body, `Could not open the chat (HTTP ${res.status})`) };
}

let liveCounter = 0;

/** Turns a broadcast or history row into a ChatMessage. */
export function toChatMessage(row: { id?: number; user: string; message: string; avatar: string; at?: string }): ChatMessage {
  return {
    key: row.id !== undefined ? `h${row.id}` : `l${++liveCounter}`,
    user: row.user,
    message: row.message,
    avatar: row.avatar,
    at: row.at ? new Date(row.at) : new Date(),
  };
}

/** The latest messages, oldest first (`GET /api/chat/history`, token auth). */
export async function chatHistory(token: string, limit = 50): Promise<ApiResult<{ messages?: any[]; message?: string }>> {
  return request('GET', `/api/chat/history?limit=${limit}`, { headers: { Authorization: token } });
}

/** Uploads a PNG or JPEG as the user's avatar; the answer carries the new avatar URL. */
export async function uploadAvatar(token: string, file: File): Promise<ApiResult<{ avatar?: string; message?: string }>> {
  const form = new FormData();
  form.append('avatar', file, file.name);
  return request('POST', '/api/avatar', { headers: { Authorization: token }, body: form });
}

/** Message length as the server counts it (code points, so an emoji is one). */
export function messageLength(text: string): number {
  return [...text].length;
}
