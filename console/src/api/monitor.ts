import { io } from 'socket.io-client';
import { errorMessage, NetworkError, request } from './http.js';
import { webAuth } from './session.js';

/** A call's outcome as pages use it: the data, or a message to show. */
export type Loaded<T> = { data: T; error?: undefined } | { data?: undefined; error: string; status: number };

/** One NF from `GET /nfs/nodes`. */
export interface NfNode {
  s_nf: string;
  first_seen_at: string;
  last_received_at: string;
  stale: boolean;
}

/** One downsampled chart point from `GET /nfs/resource/series` (t = ISO start of the bucket). */
export interface SeriesPoint {
  t: string;
  avg: number;
  min: number;
  max: number;
}

/** Average, extremes and last value of one measurement over a window. */
export interface FieldStats {
  avg: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
}

/** `GET /nfs/resource/stats`. */
export interface NfStats {
  s_nf: string;
  window: number;
  count: number;
  fields: Record<string, FieldStats>;
}

/** An alert notice, as pushed over Socket.IO and kept in the history (`average_<field>` carries the value). */
export interface AlertNotice {
  message: string;
  s_nf: string;
  state: 'firing' | 'resolved';
  rule: string;
  at: string;
  id?: number;
  reminder?: boolean;
  [average: `average_${string}`]: number;
}

/** An alert rule as `GET/PUT /nfs/alert-rules` carry it. */
export interface AlertRule {
  name: string;
  field: string;
  window_s: number;
  threshold: number;
  clear_threshold: number;
  for_s: number;
  repeat_s: number;
  enabled: boolean;
}

/** The measurements every sample carries, in the spec's order (rules and stats name them). */
export const NUMERIC_FIELDS = [
  's_attemp', 's_cpu', 's_disk', 's_diskin', 's_diskout', 's_error', 's_load', 's_loss',
  's_memory', 's_size', 's_system', 's_traffic', 's_transfer',
] as const;

async function call<T>(method: string, path: string, json?: unknown, pick: (body: any) => T = (b) => b): Promise<Loaded<T>> {
  try {
    // Metrics and history reads are open; the JWT is sent anyway (rules need it) and costs nothing.
    const res = await request(method, path, { json, headers: webAuth() });
    if (!res.ok) return { error: errorMessage(res.body, `The server answered ${res.status}`), status: res.status };
    return { data: pick(res.body) };
  } catch (err) {
    if (err instanceof NetworkError) return { error: err.message, status: 0 };
    throw err;
  }
}

const q = (params: Record<string, string | number>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();

/** Every NF that has sent samples, with its last sample time and a stale flag. */
export const fetchNodes = () => call<NfNode[]>('GET', '/nfs/nodes', undefined, (b) => b.nodes ?? []);

/** The newest sample of one NF, values as the log client sent them. */
export const fetchLatest = (nf: string) => call<Record<string, string | number>>('GET', `/nfs/resource?${q({ s_nf: nf })}`, undefined, (b) => b.data);

/** Stats of every measurement over the last `windowS` seconds. */
export const fetchStats = (nf: string, windowS: number) => call<NfStats>('GET', `/nfs/resource/stats?${q({ s_nf: nf, window: windowS })}`);

/**
 * Chart points of one field from `fromMs` (epoch ms) up to the server's now, in buckets of
 * `stepS` counted from `fromMs`; the server's clock ends the range, so a client clock running
 * behind never hides the newest samples.
 */
export const fetchSeries = (nf: string, field: string, fromMs: number, stepS: number) =>
  call<SeriesPoint[]>('GET', `/nfs/resource/series?${q({ s_nf: nf, field, from: fromMs, step: stepS })}`);

/** The newest alert notices, newest first. */
export const fetchAlerts = (limit = 20) => call<AlertNotice[]>('GET', `/nfs/alerts?${q({ limit })}`, undefined, (b) => b.data ?? []);

/** Every alert rule (any signed-in user may read them). */
export const fetchRules = () => call<AlertRule[]>('GET', '/nfs/alert-rules', undefined, (b) => b.data ?? []);

/** Creates or changes rules (admins); answers every rule afterwards. */
export const saveRules = (rules: Partial<AlertRule>[]) => call<AlertRule[]>('PUT', '/nfs/alert-rules', rules, (b) => b.data ?? []);

/** The notice's value: `average_cpu` for a CPU rule. */
export function noticeValue(notice: AlertNotice): { key: string; value: number } | null {
  const key = Object.keys(notice).find((k) => k.startsWith('average_'));
  return key ? { key, value: Number(notice[key as `average_${string}`]) } : null;
}

/** "High CPU Usage on amf: 93.4%": the words the banner and the history show. */
export function noticeText(notice: AlertNotice): string {
  const v = noticeValue(notice);
  if (!v) return `${notice.message} on ${notice.s_nf}`;
  const percent = /^average_(cpu|memory|disk|loss)$/.test(v.key) ? '%' : '';
  return `${notice.message} on ${notice.s_nf}: ${v.value}${percent}`;
}

/**
 * Listens for alert notices over Socket.IO on this origin (the monitor's push channel),
 * reconnecting by itself; returns the function that stops listening.
 */
export function listenForAlerts(onNotice: (notice: AlertNotice) => void, onStatus?: (connected: boolean) => void): () => void {
  const socket = io({ path: '/socket.io' });
  socket.on('alert', (payload: AlertNotice) => onNotice(payload));
  socket.on('connect', () => onStatus?.(true));
  socket.on('disconnect', () => onStatus?.(false));
  return () => {
    socket.off();
    socket.disconnect();
  };
}
