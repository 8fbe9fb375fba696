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

/** The users, identities and tokens tables that every surface shares, and what ends web tokens. */
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
  {
    name: '0800_core_token_revocation',
    async up(db: Kysely<any>, dialect: DialectName) {
      await db.schema
        .createTable('revoked_tokens')
        .addColumn('jti', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('revoked_tokens_expires').on('revoked_tokens').column('expires_at').execute();
      await db.schema
        .createTable('user_session_epochs')
        .addColumn('user_id', 'integer', (c) => c.primaryKey())
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .execute();
      for (const statement of dialect === 'sqlite' ? SQLITE_EPOCH_TRIGGERS : POSTGRES_EPOCH_TRIGGERS) await statement.execute(db);
    },
  },
];

/**
 * The user changes that end every web session of that user: a new password or level, or an
 * active account leaving 'active' (activation, pending to active, ends nothing).
 */
const SESSION_ENDING_CHANGE = {
  sqlite: sql`OLD.access_level IS NOT NEW.access_level OR OLD.password_hash IS NOT NEW.password_hash
    OR (OLD.status = 'active' AND NEW.status IS NOT 'active')`,
  postgres: sql`OLD.access_level IS DISTINCT FROM NEW.access_level OR OLD.password_hash IS DISTINCT FROM NEW.password_hash
    OR (OLD.status = 'active' AND NEW.status IS DISTINCT FROM 'active')`,
};

/**
 * Triggers moving a user's session epoch on every session-ending change and on deletion
 * (a reused id never inherits old tokens), whichever code or tool makes the change.
 * The row outlives the user on purpose.
 */
const SQLITE_EPOCH_TRIGGERS = [
  sql`CREATE TRIGGER users_end_sessions_on_change AFTER UPDATE OF access_level, password_hash, status ON users
    WHEN ${SESSION_ENDING_CHANGE.sqlite}
    BEGIN
      INSERT INTO user_session_epochs (user_id, epoch) VALUES (NEW.id, 1)
        ON CONFLICT (user_id) DO UPDATE SET epoch = epoch + 1;
    END`,
  sql`CREATE TRIGGER users_end_sessions_on_delete AFTER DELETE ON users
    BEGIN
      INSERT INTO user_session_epochs (user_id, epoch) VALUES (OLD.id, 1)
        ON CONFLICT (user_id) DO UPDATE SET epoch = epoch + 1;
    END`,
];

/** The PostgreSQL form of SQLITE_EPOCH_TRIGGERS: one function, two triggers. */
const POSTGRES_EPOCH_TRIGGERS = [
  sql`CREATE FUNCTION users_end_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO user_session_epochs (user_id, epoch) VALUES (OLD.id, 1)
        ON CONFLICT (user_id) DO UPDATE SET epoch = user_session_epochs.epoch + 1;
      RETURN NULL;
    END $$`,
  sql`CREATE TRIGGER users_end_sessions_on_change AFTER UPDATE OF access_level, password_hash, status ON users
    FOR EACH ROW WHEN (${SESSION_ENDING_CHANGE.postgres}) EXECUTE FUNCTION users_end_sessions()`,
  sql`CREATE TRIGGER users_end_sessions_on_delete AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION users_end_sessions()`,
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
