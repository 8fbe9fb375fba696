import { sql, type Generated, type Kysely } from 'kysely';
import { withIdColumn } from '../../core/db/core-migrations.js';
import type { StoaMigration } from '../../core/db/migrator.js';
import type { DialectName, EpochMs } from '../../core/db/schema.js';

/** One study session: opened when a student starts studying, closed when they stop. */
export interface StudySessionsTable {
  id: Generated<number>;
  user_id: number;
  start_time: EpochMs;
  /** Null while the session is still open. */
  end_time: EpochMs | null;
}

/** The study surface's own tables, added to the core ones with `db.withTables<StudyTables>()`. */
export type StudyTables = {
  study_sessions: StudySessionsTable;
};

/**
 * Creates the sessions table. The primary key already indexes `id` (the global,
 * newest-first list); `(user_id, id)` serves one user's list; the partial unique index
 * makes "one open session per user" hold even when two starts race.
 */
export const studyMigrations: StoaMigration[] = [
  {
    name: '0400_study_sessions',
    async up(db: Kysely<any>, dialect: DialectName) {
      await withIdColumn(db.schema.createTable('study_sessions'), dialect)
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('start_time', 'bigint', (c) => c.notNull())
        .addColumn('end_time', 'bigint')
        .execute();
      await db.schema.createIndex('study_sessions_user_id').on('study_sessions').columns(['user_id', 'id']).execute();
      await db.schema
        .createIndex('study_sessions_one_open')
        .on('study_sessions')
        .column('user_id')
        .unique()
        .where(sql.ref('end_time'), 'is', null)
        .execute();
    },
  },
];
