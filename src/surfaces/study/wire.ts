import type { FastifyRequest } from 'fastify';
import type { User } from '../../core/db/schema.js';
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


