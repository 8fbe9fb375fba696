import { PreparedQuery } from '../../core/db/prepared-query.js';
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

const sessions = (db: Executor) => db.withTables<StudyTables>().selectFrom('study_sessions');
const countAll = new PreparedQuery<{ n: number }, []>(0, (db) => sessions(db as Executor).select((eb) => eb.fn.countAll<number>().as('n')));
const countOfUser = new PreparedQuery<{ n: number }, [userId: number]>(1, (db, userId) =>
  sessions(db as Executor).where('user_id', '=', userId as number).select((eb) => eb.fn.countAll<number>().as('n')),
);
const pageAll = new PreparedQuery<StudySession, [limit: number, offset: number]>(2, (db, limit, offset) =>
  sessions(db as Executor).select(COLUMNS).orderBy('id', 'desc').limit(limit as number).offset(offset as number),
);
const pageOfUser = new PreparedQuery<StudySession, [userId: number, limit: number, offset: number]>(3, (db, userId, limit, offset) =>
  sessions(db as Executor).where('user_id', '=', userId as number).select(COLUMNS).orderBy('id', 'desc').limit(limit as number).offset(offset as number),
);

/** One page of sessions, newest first, for everyone (`userId` null) or one user, plus the total. */
export async function pageStudySessions(
  db: Executor,
  options: { userId: number | null; limit: number; offset: number },
): Promise<{ count: number; rows: StudySession[] }> {
  const { userId, limit, offset } = options;
  const [total] = userId === null ? await countAll.run(db) : await countOfUser.run(db, userId);
  const rows = userId === null ? await pageAll.run(db, limit, offset) : await pageOfUser.run(db, userId, limit, offset);
  return { count: Number(total?.n ?? 0), rows };
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
