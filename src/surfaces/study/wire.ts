import type { FastifyRequest } from 'fastify';
import type { User } from '../../core/db/schema.js';
import { isAppError } from '../../core/errors.js';
import type { StudySession } from './repo.js';
import { formatStudyTime } from './rules.js';

/** The 503 message of the school system's own outage (study.md); other outages get a generic one. */
export const STUDENT_SYSTEM_UNREACHABLE = 'student system unreachable';

/** Where every study route lives. */
export const STUDY_PREFIX = '/api/v1.0';

/**
 * `scheme://host[:port]` as the client reached us. Fastify reads `X-Forwarded-Proto/Host`
 * only when the server was built with `trustProxy` (TRUST_PROXY), so a client cannot
 * steer the URLs otherwise beyond its own Host header.
 */
export function baseUrlOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

/** Absolute URL of a user. */
export const userUrl = (base: string, id: number) => `${base}${STUDY_PREFIX}/users/${id}`;

/** Absolute URL of a session. */
export const studyUrl = (base: string, id: number) => `${base}${STUDY_PREFIX}/studys/${id}`;

/** The user JSON the seed clients read. A user never seen since sign-up was last seen then. */
export function userJson(base: string, user: User): object {
  return {
    username: user.username,
    url: userUrl(base, user.id),
    studys: `${userUrl(base, user.id)}/studys/`,
    member_since: formatStudyTime(user.created_at),
    last_seen: formatStudyTime(user.last_seen_at ?? user.created_at),
  };
}

/** The study JSON the seed clients read. */
export function studyJson(base: string, session: StudySession): object {
  return {
    id: session.id,
    url: studyUrl(base, session.id),
    creator: userUrl(base, session.user_id),
    start_time: formatStudyTime(session.start_time),
    end_time: session.end_time === null ? null : formatStudyTime(session.end_time),
  };
}

/** A page of sessions with absolute `next`/`prev` links on `listPath` (or null at either end). */
export function studyPageJson(
  base: string,
  listPath: string,
  page: number,
  result: { count: number; rows: StudySession[]; hasNext: boolean },
): object {
  const link = (n: number) => `${base}${listPath}?page=${n}`;
  return {
    count: result.count,
    next: result.hasNext ? link(page + 1) : null,
    prev: page > 1 ? link(page - 1) : null,
    studys: result.rows.map((row) => studyJson(base, row)),
  };
}

/** A status and the study error body for it. */
export interface StudyErrorReply {
  status: number;
  body: Record<string, string>;
}

/**
 * The one place errors become study wire errors (`{"error","message"}`; the seed's 404 is
 * `{"error":"not found"}`). Anything unexpected is a 500 whose cause stays in the log.
 */
export function studyErrorReply(err: unknown): StudyErrorReply {
  if (isAppError(err)) {
    switch (err.code) {
      case 'bad_request':
        return { status: 400, body: { error: 'bad request', message: err.message } };
      case 'unauthorized':
        return { status: 401, body: { error: 'unauthorized', message: 'Invalid credentials' } };
      case 'forbidden':
        return { status: 403, body: { error: 'forbidden', message: err.message } };
      case 'not_found':
        return { status: 404, body: { error: 'not found' } };
      case 'unavailable':
        // The school system's own outage keeps the seed's message; Redis or the database gets a generic one.
        return {
          status: 503,
          body: { error: 'service unavailable', message: err.message === STUDENT_SYSTEM_UNREACHABLE ? err.message : 'try again shortly' },
        };
      case 'rate_limited':
        return { status: 429, body: { error: 'too many requests', message: err.message } };
      default:
        break;
    }
  }
  const status = (err as { statusCode?: number } | null)?.statusCode;
  if (status === 413) return { status: 413, body: { error: 'payload too large', message: 'Request body too large' } };
  if (status !== undefined && status >= 400 && status < 500) {
    const message = (err as Error).message;
    return { status: 400, body: { error: 'bad request', message: /json/i.test(message) ? 'Body is not valid JSON' : message } };
  }
  return { status: 500, body: { error: 'internal server error', message: 'Internal error' } };
}
