import { sql, type DatabaseIntrospector, type DatabaseMetadata, type Dialect, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';
import { wrapDialect } from './delegating-driver.js';

/**
 * PostgreSQL introspection limited to the connection's own schema (`current_schema()`), from
 * `information_schema.tables` alone. Kysely's own introspector reads every table of every
 * schema and resolves each column's sequence by name, which fails when another schema's table
 * is renamed or dropped meanwhile (other deployments or test runs on the same database); the
 * migrator only needs to know whether its own tables exist. Columns are not described.
 */
class CurrentSchemaIntrospector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    const { rows } = await sql<{ name: string }>`select current_schema() as name`.execute(this.db);
    return rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ schema: string; name: string; type: string }>`
      select table_schema as schema, table_name as name, table_type as type
      from information_schema.tables where table_schema = current_schema()`.execute(this.db);
    return rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.type === 'VIEW', columns: [] }));
  }

  async getMetadata(): Promise<DatabaseMetadata> {
    return { tables: await this.getTables() };
  }
}

/** Wraps a PostgreSQL dialect so that introspection (the migrator's table check) sees only the current schema. */
export function withCurrentSchemaIntrospection(dialect: Dialect): Dialect {
  return wrapDialect(dialect, { introspector: (db) => new CurrentSchemaIntrospector(db) });
}
