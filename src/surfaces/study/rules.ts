/** Sessions per page in every list. */
export const STUDY_PAGE_SIZE = 20;

/** Days covered by `GET /users/<id>/stats`, today (UTC) included. */
export const STATS_DAYS = 30;

const DAY_MS = 24 * 3600 * 1000;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Epoch ms as the wire's UTC `YYYY-MM-DD HH:MM:SS`. */
export function formatStudyTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** Epoch ms as the UTC date `YYYY-MM-DD`. */
export function formatStudyDate(ms: number): string {
  return formatStudyTime(ms).slice(0, 10);
}

/** Parses a wire time (UTC `YYYY-MM-DD HH:MM:SS`); null when malformed or not a real date. */
export function parseStudyTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2017-02-30 over to March: a round trip catches impossible dates.
  return formatStudyTime(ms) === value ? ms : null;
}

/** `?page=` as a page number from 1; absent means 1, anything else not a positive integer is null. */
export function parsePage(raw: unknown): number | null {
  if (raw === undefined) return 1;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw)) return null;
  const page = Number(raw);
  return page >= 1 ? page : null;
}

/** A path id that fits the integer id columns on both dialects, or null (so PostgreSQL never sees an out-of-range value). */
export function parseId(raw: string): number | null {
  if (!/^\d{1,10}$/.test(raw)) return null;
  const id = Number(raw);
  return id >= 1 && id <= 2_147_483_647 ? id : null;
}

/** The seed's rule for student ids: nine or ten digits. */
export function isWellFormedStudentId(value: string): boolean {
  return /^\d{9,10}$/.test(value);
}

/** The two halves of an HTTP Basic `Authorization` header, or null when it is not one. */
export function parseBasicAuth(header: string | undefined): { name: string; password: string } | null {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Totals for the stats endpoint. */
export interface StudyStats {
  total_s: number;
  sessions: number;
  by_day: Array<{ date: string; total_s: number }>;
}

/**
 * Sums study time over the last `STATS_DAYS` UTC days (oldest first, empty days as 0).
 * Each session counts from its start to its end, or to `now` while open, clipped to
 * the window and split at UTC midnights.
 */
export function summarizeStudy(sessions: Array<{ start_time: number; end_time: number | null }>, now: number): StudyStats {
  const from = statsWindowStart(now);
  const totals = new Array<number>(STATS_DAYS).fill(0);
  let counted = 0;
  for (const s of sessions) {
    const end = Math.min(s.end_time ?? now, now);
    if (s.start_time > now || (end <= from && s.start_time < from)) continue;
    let start = Math.max(s.start_time, from);
    counted += 1;
    while (start < end) {
      const day = Math.floor((start - from) / DAY_MS);
      const dayEnd = from + (day + 1) * DAY_MS;
      const stop = Math.min(end, dayEnd);
      totals[day]! += stop - start;
      start = stop;
    }
  }
  const by_day = totals.map((ms, i) => ({ date: formatStudyDate(from + i * DAY_MS), total_s: Math.floor(ms / 1000) }));
  return { total_s: Math.floor(totals.reduce((a, b) => a + b, 0) / 1000), sessions: counted, by_day };
}

/** Midnight UTC starting the stats window (29 days before today's midnight). */
export function statsWindowStart(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - (STATS_DAYS - 1) * DAY_MS;
}
