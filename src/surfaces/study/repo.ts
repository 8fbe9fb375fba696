import type { Executor } from '../../core/db/schema.js';
import type { StudyTables } from './tables.js';

/** A study session as stored. */
export interface StudySession {
  id: number;
  user_id: number;
  start_time: number;
  end_time: number | null;
}

const COLUMNS = ['id', 'user_id', 'start_time', 'end_time'] as const;

/** Opens a session; a second open one for the same user is a unique violation. */
export async function insertStudySession(db: Executor, userId: number, startTime: number): Promise<StudySession> {
  return db
    .withTables<StudyTables>()
    .insertInto('study_sessions')
    .values({ user_id: userId, start_time: startTime, end_time: null })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
}

/** Looks a session up by id. */
export function findStudySession(db: Executor, id: number): Promise<StudySession | undefined> {
  return db.withTables<StudyTables>().selectFrom('study_sessions').select(COLUMNS).where('id', '=', id).executeTakeFirst();
}

/** The user's open session, if any. */
export function findOpenStudySession(db: Executor, userId: number): Promise<StudySession | undefined> {
  return db
    .withTables<StudyTables>()
    .selectFrom('study_sessions')
    .select(COLUMNS)
    .where('user_id', '=', userId)
    .where('end_time', 'is', null)
    .executeTakeFirst();
}

/**
 * Closes a session only if it is still open, so two racing ends cannot both win;
 * returns the updated row, or undefined when it was already closed.
 */
export function closeStudySession(db: Executor, id: number, endTime: number): Promise<StudySession | undefined> {
  return db
    .withTables<StudyTables>()
    .updateTable('study_sessions')
    .set({ end_time: endTime })
    .where('id', '=', id)
    .where('end_time', 'is', null)
    .returning(COLUMNS)
    .executeTakeFirst();
}

/** One page of sessions, newest first, for everyone (`userId` null) or one user, plus the total. */
export async function pageStudySessions(
  db: Executor,
  options: { userId: number | null; limit: number; offset: number },
): Promise<{ count: number; rows: StudySession[] }> {
  let base = db.withTables<StudyTables>().selectFrom('study_sessions');
  if (options.userId !== null) base = base.where('user_id', '=', options.userId);
  const total = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base.select(COLUMNS).orderBy('id', 'desc').limit(options.limit).offset(options.offset).execute();
  return { count: Number(total.n), rows };
}

/** The user's sessions that overlap `[from, to)`; open ones are included. */
export function studySessionsOverlapping(db: Executor, userId: number, from: number, to: number): Promise<StudySession[]> {
  return db
    .withTables<StudyTables>()
    .selectFrom('study_sessions')
    .select(COLUMNS)
    .where('user_id', '=', userId)
    .where('start_time', '<', to)
    .where((eb) => eb.or([eb('end_time', 'is', null), eb('end_time', '>', from)]))
    .orderBy('id')
    .execute();
}

/** The id of the account holding a student id, if one does (register checks it before asking the school). */
export async function findUserIdByStudentId(db: Executor, studentId: string): Promise<number | undefined> {
  const row = await db.selectFrom('users').select('id').where('student_id', '=', studentId).executeTakeFirst();
  return row?.id;
}
