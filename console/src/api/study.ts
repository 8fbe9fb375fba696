import { errorMessage, request, type ApiResult } from './http.js';
import { session, updateSession } from './session.js';

/** One study session as the study API sends it (times are UTC `YYYY-MM-DD HH:MM:SS`). */
export interface Study {
  id: number;
  url: string;
  creator: string;
  start_time: string;
  end_time: string | null;
}

/** One page of sessions, newest first; `next`/`prev` are absolute URLs or null. */
export interface StudyPage {
  count: number;
  next: string | null;
  prev: string | null;
  studys: Study[];
}

/** Seconds studied in the last 30 days, per UTC day (oldest first). */
export interface StudyStats {
  total_s: number;
  sessions: number;
  by_day: Array<{ date: string; total_s: number }>;
}

/** A study call's outcome: the body, or a message for the page to show. */
export type StudyResult<T> = { data: T; status: number } | { error: string; status: number };

const PREFIX = '/api/v1.0';

/**
 * The study token for this console session: the cached one, or a new one for the web JWT
 * (`GET /api/v1.0/token` with `Authorization: Bearer`). `fresh` skips the cache.
 */
async function studyToken(fresh = false): Promise<string | { error: string; status: number }> {
  const cached = session.value?.studyToken;
  if (cached && !fresh) return cached;
  const res = await request('GET', `${PREFIX}/token`, {
    headers: { Authorization: `Bearer ${session.value?.webToken ?? ''}`, 'X-Requested-With': 'XMLHttpRequest' },
  });
  if (res.status === 200 && typeof res.body?.token === 'string') {
    updateSession({ studyToken: res.body.token });
    return res.body.token;
  }
  if (res.status === 401) return { error: 'Your sign-in has expired. Sign in again to use the study timer.', status: 401 };
  return { error: errorMessage(res.body, `The study service refused (HTTP ${res.status})`), status: res.status };
}

function basic(token: string): Record<string, string> {
  // `X-Requested-With` keeps the browser from showing its own password prompt on a 401.
  return { Authorization: `Basic ${btoa(`${token}:`)}`, 'X-Requested-With': 'XMLHttpRequest' };
}

/**
 * Calls the study API with Basic `<token>:`; a 401 (the token expired) gets one fresh
 * token and one retry. Paths or absolute URLs from `next`/`prev` are both accepted.
 */
export async function studyCall<T>(method: string, pathOrUrl: string, json?: unknown): Promise<StudyResult<T>> {
  const path = sameOriginPath(pathOrUrl);
  let token = await studyToken();
  if (typeof token !== 'string') return token;
  let res: ApiResult = await request(method, path, { headers: basic(token), json });
  if (res.status === 401) {
    token = await studyToken(true);
    if (typeof token !== 'string') return token;
    res = await request(method, path, { headers: basic(token), json });
  }
  if (res.ok) return { data: res.body as T, status: res.status };
  return { error: errorMessage(res.body, `The study service answered HTTP ${res.status}`), status: res.status };
}

/** `https://host/api/v1.0/studys/?page=2` -> `/api/v1.0/studys/?page=2`: links are followed on this origin. */
export function sameOriginPath(pathOrUrl: string): string {
  if (pathOrUrl.startsWith('/')) return pathOrUrl;
  const url = new URL(pathOrUrl, location.origin);
  return `${url.pathname}${url.search}`;
}

/** The signed-in user's sessions, first page unless a `next`/`prev` link is given. */
export const listMyStudys = (link?: string) => studyCall<StudyPage>('GET', link ?? `${PREFIX}/users/${session.value?.userId}/studys/`);

/** Starts a session now. */
export const startStudy = () => studyCall<Study>('POST', `${PREFIX}/studys/`, {});

/** Ends a session now. */
export const stopStudy = (id: number) => studyCall<Study>('PUT', `${PREFIX}/studys/${id}`, {});

/** Per-day totals of the last 30 days. */
export const fetchStudyStats = () => studyCall<StudyStats>('GET', `${PREFIX}/users/${session.value?.userId}/stats`);

/** Parses a wire time (UTC `YYYY-MM-DD HH:MM:SS`) to epoch ms. */
export function parseStudyTime(text: string): number {
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

/** Seconds as `H:MM:SS`. */
export function formatDuration(totalS: number): string {
  const s = Math.max(0, Math.floor(totalS));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A wire time shown in the reader's own time zone. */
export function showStudyTime(text: string | null): string {
  if (!text) return '';
  return new Date(parseStudyTime(text)).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
}
