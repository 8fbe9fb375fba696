import type { User } from '../../core/db/schema.js';
import { AppError } from '../../core/errors.js';

/** Access level from which a user is an admin: they may act on any stream. */
export const ADMIN_LEVEL = 9;
/** Search answers at most this many names. */
export const SEARCH_LIMIT = 50;
/** `GET /user/streams` answers this many streams unless `limit` says otherwise. */
export const STREAMS_DEFAULT_LIMIT = 20;
/** Largest `limit` of `GET /user/streams`. */
export const STREAMS_MAX_LIMIT = 50;
/** Largest single gift: keeps every sum far inside a 64-bit column and a JS safe integer. */
export const MAX_GIFT = 1_000_000_000;

const bad = (message: string) => new AppError('bad_request', message);

/** The request body as an object; anything else (array, text, number) is bad input. */
export function bodyFields(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  throw bad('Body must be a JSON object');
}

/** `s_name` trimmed; blank, missing or not text is the seed's "Missing required parameters". */
export function requireName(value: unknown): string {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || text.trim() === '') throw bad('Missing required parameters');
  return text.trim();
}

/** An optional whole number >= 0 (the initial counters `POST /user/live` may carry). */
export function optionalCount(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 2_147_483_647) {
    throw bad(`${field} must be a non-negative integer`);
  }
  return value;
}

/** A gift: absent is 0; otherwise a positive integer up to MAX_GIFT (strings, fractions, 0 and negatives are refused). */
export function giftAmount(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > MAX_GIFT) {
    throw bad(`i_donate must be a positive integer up to ${MAX_GIFT}`);
  }
  return value;
}

/** `?limit=` of `GET /user/streams`: absent is the default, otherwise a whole number from 1 to the maximum. */
export function streamsLimit(value: unknown): number {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === '') return STREAMS_DEFAULT_LIMIT;
  const limit = typeof text === 'string' && /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(limit >= 1 && limit <= STREAMS_MAX_LIMIT)) throw bad(`limit must be a whole number from 1 to ${STREAMS_MAX_LIMIT}`);
  return limit;
}

/** `follow`: absent or false means no follow (it never unfollows); true follows once. */
export function followFlag(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  if (value === true) return true;
  throw bad('follow must be true or false');
}

/** The front-end counter step: exactly +1 or -1. */
export function peopleDelta(value: unknown): 1 | -1 {
  if (value === 1 || value === -1) return value;
  throw bad('delta must be +1 or -1');
}

/** The client's `current_time` on `/user/alert`: optional text or number, only checked; the server clock decides. */
export function checkClientTime(value: unknown): void {
  if (value === undefined || value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) return;
  throw bad('current_time must be a time');
}

/** True when `actor` may act on the stream of `s_name`: it is theirs, or they are an admin. */
export function mayManage(actor: User, streamerName: string): boolean {
  return actor.username === streamerName || actor.access_level >= ADMIN_LEVEL;
}

/** The front end's landing page for an access level: admin from 9, streamer from 1, else viewer. */
export function mainPageFor(level: number): 'viewer' | 'streamer' | 'admin' {
  return level >= ADMIN_LEVEL ? 'admin' : level >= 1 ? 'streamer' : 'viewer';
}

/** Whole seconds from `from` to `to` (never negative). */
export const elapsedSeconds = (from: number, to: number) => Math.max(0, Math.floor((to - from) / 1000));

/** UTC ISO-8601 with milliseconds, as every time on this surface's wire. */
export const isoTime = (ms: number) => new Date(ms).toISOString();

/** "6 hours", "90 minutes", "45 seconds": the alert threshold in words. */
export function durationWords(seconds: number): string {
  const [n, unit] = seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** The alert text: "Live for more than 6 hours" with the default threshold. */
export const longStreamMessage = (thresholdS: number) => `Live for more than ${durationWords(thresholdS)}`;
