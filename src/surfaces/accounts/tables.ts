import type { Generated, Kysely } from 'kysely';
import { withIdColumn } from '../../core/db/core-migrations.js';
import type { StoaMigration } from '../../core/db/migrator.js';
import type { DialectName, EpochMs } from '../../core/db/schema.js';

/** Where an access-level request stands. */
export type AccessRequestStatus = 'pending' | 'approved' | 'rejected';

/**
 * Access levels asked for at sign-up. The seed granted whatever the client sent; here a
 * request above SIGNUP_MAX_SELF_LEVEL waits for an admin, and every request is kept.
 */
export interface AccessRequestsTable {
  id: Generated<number>;
  user_id: number;
  requested_level: number;
  status: AccessRequestStatus;
  created_at: EpochMs;
  decided_at: EpochMs | null;
  /** The admin who decided; null when granted automatically at sign-up. */
  decided_by: number | null;
}

/** The web accounts area's own tables. */
export type AccountsTables = {
  access_requests: AccessRequestsTable;
};

/** Creates the access-request table with the index the admin list (by status) reads. */
export const accountsMigrations: StoaMigration[] = [
  {
    name: '0300_access_requests',
    async up(db: Kysely<any>, dialect: DialectName) {
      await withIdColumn(db.schema.createTable('access_requests'), dialect)
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('requested_level', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_at', 'bigint')
        .addColumn('decided_by', 'integer', (c) => c.references('users.id').onDelete('set null'))
        .execute();
      await db.schema.createIndex('access_requests_status').on('access_requests').columns(['status', 'id']).execute();
      await db.schema.createIndex('access_requests_user').on('access_requests').column('user_id').execute();
    },
  },
];
