import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { Database, DialectName } from './schema.js';

/** One schema step; names sort in the order they must run (`0001_...`). */
export interface StoaMigration {
  name: string;
  up(db: Kysely<any>, dialect: DialectName): Promise<void>;
}

/**
 * Applies every pending migration, core's and each surface's, in name order. Kysely's
 * migrator takes a lock (an advisory lock on PostgreSQL), so several nodes starting at
 * once apply each step exactly once.
 */
export async function runMigrations(
  db: Kysely<Database>,
  dialect: DialectName,
  migrations: readonly StoaMigration[],
): Promise<string[]> {
  const names = new Set<string>();
  const record: Record<string, Migration> = {};
  for (const m of migrations) {
    if (names.has(m.name)) throw new Error(`duplicate migration name ${m.name}`);
    names.add(m.name);
    record[m.name] = { up: (inner) => m.up(inner, dialect) };
  }
  // Name the schema explicitly on PostgreSQL: Kysely's table check otherwise sees a
  // migrations table in any schema and would skip creating ours.
  const schema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db,
    migrationTableSchema: schema,
    provider: { getMigrations: async () => record },
    migrationTableName: 'stoa_migrations',
    migrationLockTableName: 'stoa_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
