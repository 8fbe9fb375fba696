import { errorMessage, NetworkError, request } from './http.js';
import { webAuth } from './session.js';

/** A call's outcome as the live pages use it: the data, or the server's `{"Error"}` message. */
export type LiveResult<T> = { data: T; error?: undefined } | { data?: undefined; error: string; status: number };

/** One stream live now (`GET /user/streams`). */
export interface LiveStream {
  s_name: string;
  live: true;
  started_at: string;
  elapsed_s: number;
  i_people: number;
  peak: number;
  /** Money given during this stream so far. */
  donated: number;
  new_followers: number;
}

/** A streamer's totals (`GET /user/ueinfo`). */
export interface StreamerInfo {
  s_name: string;
  i_follower: number;
  i_donate: number;
  time_streaming: number;
  streams: number;
}

/** What `POST /user/end` reports about the stream that just ended. */
export interface StreamSummary {
  s_name: string;
  duration_s: number;
  peak_people: number;
  donated: number;
  new_followers: number;
}

/** An event on the hub topic `live:<s_name>`. */
export type LiveEvent =
  | { type: 'viewers'; i_people: number }
  | { type: 'gift'; from: string; amount: number }
  | { type: 'follow'; from: string }
  | { type: 'alert'; message: string };

async function call<T>(method: string, path: string, json?: unknown): Promise<LiveResult<T>> {
  try {
    const res = await request(method, path, { json, headers: webAuth() });
    if (!res.ok) return { error: errorMessage(res.body, `The server answered ${res.status}`), status: res.status };
    return { data: res.body as T };
  } catch (err) {
    if (err instanceof NetworkError) return { error: err.message, status: 0 };
    throw err;
  }
}

const name = (s: string) => encodeURIComponent(s);

/** The streams live now, newest first. */
export const fetchLiveStreams = (limit = 50) => call<LiveStream[]>('GET', `/user/streams?limit=${limit}`);

/** One streamer's live stream, or null when they are not live (never a 400). */
export async function fetchStreamOf(sName: string): Promise<LiveResult<LiveStream | null>> {
  const r = await call<LiveStream[]>('GET', `/user/streams?s_name=${name(sName)}`);
  return r.error !== undefined ? r : { data: r.data[0] ?? null };
}

/** Streamers whose name contains the text, live ones first. */
export const searchStreamers = (text: string) => call<Array<{ s_name: string; live: boolean }>>('POST', '/user/search', { s_name: text });

/** Starts the signed-in user's stream. */
export const goLive = (sName: string) => call<{ stream_id: number; started_at: string }>('POST', '/user/live', { s_name: sName });

/** Ends a stream and answers its summary. */
export const endStream = (sName: string) => call<StreamSummary>('POST', '/user/end', { s_name: sName });

/** When the stream started and how long it has run (server clock). */
export const streamTime = (sName: string) => call<{ started_at: string; elapsed_s: number }>('GET', `/user/current_time?s_name=${name(sName)}`);

/** Viewers now and the peak. */
export const streamPeople = (sName: string) => call<{ i_people: number; peak: number }>('GET', `/user/current_people?s_name=${name(sName)}`);

/** A viewer's heartbeat: counts them as watching for the next 30 s. */
export const watchHeartbeat = (sName: string) => call<{ i_people: number }>('POST', '/user/watch', { s_name: sName });

/** A gift and/or a follow; answers the streamer's totals afterwards. */
export const supportStreamer = (sName: string, support: { i_donate?: number; follow?: boolean }) =>
  call<{ i_follower: number; i_donate: number }>('PUT', '/user/money_follow', { s_name: sName, ...support });

/** A streamer's totals. */
export const streamerInfo = (sName: string) => call<StreamerInfo>('GET', `/user/ueinfo?s_name=${name(sName)}`);

/** "1:02:05" or "4:09": a duration in seconds as a clock. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}
