import { sql, type CreateTableBuilder, type Kysely } from 'kysely';
import type { DialectName } from './schema.js';
import type { StoaMigration } from './migrator.js';

/** Adds an auto-generated integer primary key named `id` in each dialect's own way. */
export function withIdColumn<T extends string>(
  table: CreateTableBuilder<T, never>,
  dialect: DialectName,
): CreateTableBuilder<T, 'id'> {
  return dialect === 'sqlite'
    ? table.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    : table.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity());
}

/** The users, identities and tokens tables that every surface shares. */
export const coreMigrations: StoaMigration[] = [
  {
    name: '0001_core_users',
    async up(db: Kysely<any>, dialect: DialectName) {
      await withIdColumn(db.schema.createTable('users'), dialect)
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text', (c) => c.unique())
        .addColumn('phone', 'text', (c) => c.unique())
        .addColumn('password_hash', 'text')
        .addColumn('avatar', 'text')
        .addColumn('access_level', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('student_id', 'text', (c) => c.unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint')
        .execute();
      await withIdColumn(db.schema.createTable('identities'), dialect)
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('identities_provider_subject', ['provider', 'subject'])
        .execute();
      await db.schema.createIndex('identities_user').on('identities').column('user_id').execute();
      await db.schema
        .createTable('tokens')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('ttl_s', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tokens_user_kind').on('tokens').columns(['user_id', 'kind']).execute();
      await db.schema.createIndex('tokens_expires').on('tokens').column('expires_at').execute();
    },
  },
  {
    name: '0700_core_users_email_verified',
    async up(db: Kysely<any>, dialect: DialectName) {
      await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute();
      for (const statement of dialect === 'sqlite' ? SQLITE_ACTIVATION_TRIGGER : POSTGRES_ACTIVATION_TRIGGER) await statement.execute(db);
    },
  },
];

/**
 * Leaving 'pending' is e-mail activation: the only way out of it is the link mailed to the
 * account's address. These triggers record that proof in `email_verified_at` whichever
 * code flips the status, so Google login may trust the address (google-users.ts).
 */
const ACTIVATION_PROVES_EMAIL = sql`OLD.status = 'pending' AND NEW.status = 'active' AND NEW.email IS NOT NULL AND NEW.email_verified_at IS NULL`;

const SQLITE_ACTIVATION_TRIGGER = [
  sql`CREATE TRIGGER users_activation_proves_email AFTER UPDATE OF status ON users
    WHEN ${ACTIVATION_PROVES_EMAIL}
    BEGIN
      UPDATE users SET email_verified_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000 WHERE id = NEW.id;
    END`,
];

/** The PostgreSQL form of SQLITE_ACTIVATION_TRIGGER: the row is stamped before it is written. */
const POSTGRES_ACTIVATION_TRIGGER = [
  sql`CREATE FUNCTION users_activation_proves_email() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.email_verified_at := (extract(epoch FROM clock_timestamp()) * 1000)::bigint;
      RETURN NEW;
    END $$`,
  sql`CREATE TRIGGER users_activation_proves_email BEFORE UPDATE OF status ON users
    FOR EACH ROW WHEN (${ACTIVATION_PROVES_EMAIL}) EXECUTE FUNCTION users_activation_proves_email()`,
];
