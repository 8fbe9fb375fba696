import type { App } from '../../core/app.js';
import { verifyLoginWithinLimits } from '../../core/auth/login-limits.js';
import { findTokenUser, issueToken } from '../../core/auth/tokens.js';
import { readWebSession, webTokenFromAuthorization } from '../../core/auth/web-session.js';
import { AnswerCache } from '../../core/db/answer-cache.js';
import { isUniqueViolation } from '../../core/db/database.js';
import type { User } from '../../core/db/schema.js';
import { AppError, isAppError } from '../../core/errors.js';
import { hasUnstorableText, unstorableTextError } from '../../core/http/input-guard.js';
import { registerAccount } from '../../core/users/accounts.js';
import { findUserById, findUserByUsername, touchLastSeen } from '../../core/users/user-repo.js';
import {
  closeStudySession,
  findOpenStudySession,
  findStudySession,
  findUserIdByStudentId,
  insertStudySession,
  pageStudySessions,
  studySessionsOverlapping,
  type StudySession,
} from './repo.js';
import {
  isWellFormedStudentId,
  parseBasicAuth,
  parseStudyTime,
  statsWindowStart,
  STUDY_PAGE_SIZE,
  summarizeStudy,
  type StudyStats,
} from './rules.js';
import type { StudentVerifier } from './verifier.js';
import { STUDY_PREFIX, studyPageJson } from './wire.js';

/** Token kind for study tokens in the shared tokens table. */
export const STUDY_TOKEN = 'study';

/** Access level from which a user sees every user's sessions, as on the other surfaces (9 = admin). */
export const STUDY_ADMIN_LEVEL = 9;

/** How often `last_seen` is written at most. */
const LAST_SEEN_EVERY_MS = 60_000;

/** Who made a request and how they proved it. */
export interface StudyAuth {
  user: User;
  viaToken: boolean;
}

const invalid = () => new AppError('unauthorized', 'Invalid credentials');
const badRequest = (message: string) => new AppError('bad_request', message);
const TIME_FORMAT = 'a UTC time formatted YYYY-MM-DD HH:MM:SS';

/** Times are kept to the second, as the wire shows them. */
const wholeSeconds = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * Checks HTTP Basic credentials: `<token>:` (any password) or `username-or-email:password`.
 * Failed password tries count per account, name and client address, shared with every
 * other password login (core/auth/login-limits.ts), so Basic auth cannot be used to guess
 * passwords at speed; tokens spend nothing.
 * Pending accounts are refused with a message saying why. Updates `last_seen` at most
 * once a minute.
 */
export async function authenticateStudyRequest(app: App, authorization: string | undefined, ip = ''): Promise<StudyAuth> {
  const basic = parseBasicAuth(authorization);
  if (!basic || basic.name === '') throw invalid();
  // Decoded credentials never reach SQL holding text PostgreSQL refuses: bad input, not a 500.
  if (hasUnstorableText(basic.name) || hasUnstorableText(basic.password)) throw unstorableTextError('The Authorization header');
  let user: User | null = null;
  let viaToken = false;
  const tokenUser = await findTokenUser(app, basic.name, STUDY_TOKEN);
  if (tokenUser) {
    user = tokenUser;
    viaToken = true;
  } else if (basic.password !== '') {
    const checked = await verifyLoginWithinLimits(app, {
      name: { usernameOrEmail: basic.name },
      password: basic.password,
      ip,
      attemptsPerMinute: app.config.study.loginAttemptsPerMinute,
    });
    if (checked.kind === 'rate_limited') throw new AppError('rate_limited', 'Too many failed attempts, try again in a minute');
    if (checked.kind === 'ok') user = checked.user;
  }
  if (!user) throw invalid();
  if (user.status === 'pending') {
    throw new AppError('forbidden', 'Account not activated: follow the link in the activation e-mail');
  }
  const now = app.clock.now();
  if (user.last_seen_at === null || now - user.last_seen_at >= LAST_SEEN_EVERY_MS) {
    await touchLastSeen(app.db, user.id, now);
    user.last_seen_at = now;
  }
  return { user, viaToken };
}

/**
 * Beyond the seed: the console's web session (`Authorization: Bearer|JWT <web jwt>`) counts
 * as a password proof for `GET /token`, so the console never keeps a password. Null when
 * the header is not of that scheme; AppError('unauthorized') when the JWT is bad.
 */
export async function authenticateWebSessionForToken(app: App, authorization: string | undefined): Promise<StudyAuth | null> {
  if (!webTokenFromAuthorization(authorization)) return null;
  const session = await readWebSession(app, authorization);
  if (!session) throw invalid();
  if (session.user.status === 'pending') {
    throw new AppError('forbidden', 'Account not activated: follow the link in the activation e-mail');
  }
  return { user: session.user, viaToken: false };
}

/** A fresh token for a user who proved themselves with a password; a token cannot mint another. */
export async function issueStudyToken(app: App, auth: StudyAuth): Promise<string> {
  if (auth.viaToken) throw invalid();
  return issueToken(app, auth.user.id, STUDY_TOKEN, app.config.study.tokenTtlS);
}

/** A user by id, or AppError('not_found'). */
export async function requireStudyUser(app: App, id: number | null): Promise<User> {
  const user = id === null ? undefined : await findUserById(app.db, id);
  if (!user) throw new AppError('not_found', 'not found');
  return user;
}

/** A session by id, or AppError('not_found'). */
export async function requireStudySession(app: App, id: number | null): Promise<StudySession> {
  const session = id === null ? undefined : await findStudySession(app.db, id);
  if (!session) throw new AppError('not_found', 'not found');
  return session;
}

/** True for a user who may read every user's sessions. */
export function isStudyAdmin(user: User): boolean {
  return user.access_level >= STUDY_ADMIN_LEVEL;
}

/** Which sessions a list shows (one owner's, or everyone's when `ownerId` is null) and the path its links use. */
export interface SessionList {
  ownerId: number | null;
  path: string;
}

/** `GET /studys`: the viewer's own sessions; an admin's list holds everyone's. */
export function sessionsVisibleTo(viewer: User): SessionList {
  return { ownerId: isStudyAdmin(viewer) ? null : viewer.id, path: `${STUDY_PREFIX}/studys/` };
}

/**
 * `GET /users/<id>/studys`: the owner's sessions, which only the owner or an admin may
 * read; anyone else gets AppError('forbidden').
 */
export function sessionsOfUserFor(viewer: User, owner: User): SessionList {
  if (viewer.id !== owner.id && !isStudyAdmin(viewer)) throw new AppError('forbidden', 'Insufficient permissions');
  return { ownerId: owner.id, path: `${STUDY_PREFIX}/users/${owner.id}/studys/` };
}

/** One page of sessions (everyone's or one user's), newest first, and whether more follow. */
export async function listStudySessions(
  app: App,
  options: { userId: number | null; page: number },
): Promise<{ count: number; rows: StudySession[]; hasNext: boolean }> {
  const offset = (options.page - 1) * STUDY_PAGE_SIZE;
  const { count, rows } = await pageStudySessions(app.db, { userId: options.userId, limit: STUDY_PAGE_SIZE, offset });
  return { count, rows, hasNext: offset + rows.length < count };
}

/** Pages of the session lists as JSON text, served again while the database is unchanged (SQLite). */
const pages = new AnswerCache(['study_sessions'], 1024);

/**
 * One page of `list` as the wire's JSON text, with links on `base`; the same page is read
 * and serialised once while nothing has committed. The key holds the list's owner scope
 * and path, so a page kept for one viewer is never served to another who may not see it.
 */
export function studyPageText(app: App, base: string, list: SessionList, page: number): Promise<string> {
  const key = `${base}|${list.path}|${list.ownerId ?? 'all'}|${page}`;
  return pages.get(app.db, key, app.clock.now(), async () =>
    JSON.stringify(studyPageJson(base, list.path, page, await listStudySessions(app, { userId: list.ownerId, page }))),
  );
}

/** Opens a session starting at `startTime` (wire time, default now); one open session per user. */
export async function startStudySession(app: App, user: User, startTime: unknown): Promise<StudySession> {
  const now = app.clock.now();
  const start = startTime === undefined || startTime === null ? wholeSeconds(now) : parseStudyTime(startTime);
  if (start === null) throw badRequest(`start_time must be ${TIME_FORMAT}`);
  if (start > now) throw badRequest('start_time must not be in the future');
  if (await findOpenStudySession(app.db, user.id)) throw badRequest('A study session is already open: end it first');
  try {
    return await insertStudySession(app.db, user.id, start);
  } catch (err) {
    // Two starts raced; the partial unique index let only one through.
    if (isUniqueViolation(err)) throw badRequest('A study session is already open: end it first');
    throw err;
  }
}

/** Closes the creator's open session at `endTime` (wire time, default now). */
export async function endStudySession(app: App, user: User, id: number | null, endTime: unknown): Promise<StudySession> {
  const session = await requireStudySession(app, id);
  if (session.user_id !== user.id) throw new AppError('forbidden', 'Insufficient permissions');
  const now = app.clock.now();
  const end = endTime === undefined || endTime === null ? wholeSeconds(now) : parseStudyTime(endTime);
  if (end === null) throw badRequest(`end_time must be ${TIME_FORMAT}`);
  if (session.end_time !== null) throw badRequest('This study session has already ended');
  if (end > now) throw badRequest('end_time must not be in the future');
  if (end < session.start_time) throw badRequest('end_time must not be before start_time');
  const closed = await closeStudySession(app.db, session.id, end);
  if (!closed) throw badRequest('This study session has already ended');
  return closed;
}

/** Study time over the last 30 UTC days for a user (who must exist). */
export async function studyStatsFor(app: App, userId: number | null): Promise<StudyStats> {
  const user = await requireStudyUser(app, userId);
  const now = app.clock.now();
  const sessions = await studySessionsOverlapping(app.db, user.id, statsWindowStart(now), now + 1);
  return summarizeStudy(sessions, now);
}

/** The exact register messages the seed clients show. */
export const REGISTER_MESSAGES = {
  missing: '缺少必要参数。',
  usernameTaken: '用户已经存在。',
  badStudentId: '学号应该是一个十位数或是九位数.',
  studentIdTaken: '该学号被注册，可以试试找回密码。',
  refused: '402, 账号或密码错误',
} as const;

/** What `POST /register` carries. */
export interface StudentRegistration {
  username: unknown;
  password: unknown;
  stu_id: unknown;
  stu_pwd: unknown;
}

const filled = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/**
 * Creates an account for a verified student: fields, then username, then student id
 * format and uniqueness are checked before the school system is asked. `stu_pwd` is
 * only forwarded to the verifier: never stored, never logged.
 */
export async function registerStudent(app: App, verifier: StudentVerifier, input: StudentRegistration): Promise<User> {
  const { username, password, stu_id: studentId, stu_pwd: studentPassword } = input;
  if (!filled(username) || !filled(password) || !filled(studentId) || !filled(studentPassword)) {
    throw badRequest(REGISTER_MESSAGES.missing);
  }
  if (username.length > 64) throw badRequest('username must be at most 64 characters');
  if (password.length > 1024) throw badRequest('password must be at most 1024 characters');
  if (await findUserByUsername(app.db, username)) throw badRequest(REGISTER_MESSAGES.usernameTaken);
  if (!isWellFormedStudentId(studentId)) throw badRequest(REGISTER_MESSAGES.badStudentId);
  if ((await findUserIdByStudentId(app.db, studentId)) !== undefined) throw badRequest(REGISTER_MESSAGES.studentIdTaken);
  if ((await verifier.verify(studentId, studentPassword)) !== 'accepted') throw badRequest(REGISTER_MESSAGES.refused);
  try {
    const id = await registerAccount(app, { username, password, studentId });
    return (await findUserById(app.db, id))!;
  } catch (err) {
    if (isAppError(err) && err.code === 'conflict') {
      throw badRequest(err.details.field === 'student_id' ? REGISTER_MESSAGES.studentIdTaken : REGISTER_MESSAGES.usernameTaken);
    }
    throw err;
  }
}
