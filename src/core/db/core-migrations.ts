import type { CreateTableBuilder, Kysely } from 'kysely';
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
    async up(db: Kysely<any>) {
      // Set when an address is proven: dadashop activation, a Google sign-up with a verified e-mail.
      await db.schema.alterTable('users').addColumn('email_verified_at', 'bigint').execute();
    },
  },
  {
    name: '0800_core_token_revocation',
    async up(db: Kysely<any>) {
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
    },
  },
  {
    name: '0900_core_cache_nodes',
    async up(db: Kysely<any>) {
      // PostgreSQL nodes that serve hot reads from memory and must hear of every write first (cache-peers.ts).
      await db.schema
        .createTable('cache_nodes')
        .addColumn('node_id', 'text', (c) => c.primaryKey())
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .addColumn('pid', 'integer', (c) => c.notNull())
        .execute();
    },
  },
];
