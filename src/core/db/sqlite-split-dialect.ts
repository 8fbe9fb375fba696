import {
  CompiledQuery,
  SqliteDialect,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import type SqliteDatabase from 'better-sqlite3';
import type { SqliteWriter, StatementResult } from './sqlite-writer.js';

/** Most prepared read statements kept on the main connection. */
const STATEMENT_CACHE_SIZE = 500;

/** A Buffer comes back from the writer thread as a plain Uint8Array; callers expect Buffers, as from the main connection. */
function asBuffers(rows: unknown[]): unknown[] {
  for (const row of rows) {
    if (!row || typeof row !== 'object') continue;
    const record = row as Record<string, unknown>;
    for (const key in record) {
      const v = record[key];
      if (v instanceof Uint8Array && !Buffer.isBuffer(v)) record[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
  }
  return rows;
}

function toQueryResult<R>(result: StatementResult): QueryResult<R> {
  return {
    rows: asBuffers(result.rows) as R[],
    numAffectedRows: result.changes === undefined ? undefined : BigInt(result.changes),
    insertId: result.lastInsertRowid === undefined ? undefined : BigInt(result.lastInsertRowid),
  };
}

/** Statements prepared once on the main (reading) connection, keyed by their SQL. */
export class ReadStatements {
  private readonly cache = new Map<string, SqliteDatabase.Statement | null>();
  constructor(readonly native: SqliteDatabase.Database) {}

  /**
   * The cached statement when `sql` only reads; null when it writes; undefined when it cannot
   * be prepared here yet (a table an uncommitted migration creates: the writer's connection decides).
   */
  reader(sql: string): SqliteDatabase.Statement | null | undefined {
    let stmt = this.cache.get(sql);
    if (stmt === undefined) {
      try {
        const prepared = this.native.prepare(sql);
        stmt = prepared.readonly && prepared.reader ? prepared : null;
      } catch {
        return undefined;
      }
      if (this.cache.size >= STATEMENT_CACHE_SIZE) this.cache.clear();
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}

class SplitConnection implements DatabaseConnection {
  /** The writer's transaction while one is open on this connection. */
  tx: number | null = null;

  constructor(
    private readonly reads: ReadStatements,
    private readonly writer: SqliteWriter,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = query;
    if (this.tx !== null) return toQueryResult(await this.writer.runIn(this.tx, sql, parameters));
    const reader = this.reads.reader(sql);
    if (reader) return { rows: reader.all(parameters as unknown[]) as R[] };
    return toQueryResult(await this.writer.run(sql, parameters));
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const reader = this.tx === null ? this.reads.reader(query.sql) : null;
    if (reader) {
      for (const row of reader.iterate(query.parameters as unknown[])) yield { rows: [row as R] };
      return;
    }
    yield await this.executeQuery<R>(query);
  }
}

class SplitDriver implements Driver {
  constructor(
    private readonly reads: ReadStatements,
    private readonly writer: SqliteWriter,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new SplitConnection(this.reads, this.writer);
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    (connection as SplitConnection).tx = await this.writer.begin();
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as SplitConnection;
    const tx = c.tx!;
    c.tx = null;
    await this.writer.commit(tx);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const c = connection as SplitConnection;
    const tx = c.tx!;
    c.tx = null;
    await this.writer.rollback(tx);
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint "${name}"`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to "${name}"`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release "${name}"`));
  }

  async releaseConnection(): Promise<void> {}

  async destroy(): Promise<void> {
    await this.writer.close();
    this.reads.native.close();
  }
}

/**
 * SQLite with reads and writes apart: a statement that only reads runs at once on the main
 * connection (a cached prepared statement; WAL lets it read the last commit beside the
 * writer), and every write, and every statement of a transaction, goes to the writer thread,
 * which group-commits them off the event loop. A write resolves after its commit, so what a
 * request reads after its own write always includes it.
 */
export function sqliteSplitDialect(reads: ReadStatements, writer: SqliteWriter): Dialect {
  const base = new SqliteDialect({ database: reads.native });
  return {
    createDriver: () => new SplitDriver(reads, writer),
    createQueryCompiler: () => base.createQueryCompiler(),
    createAdapter: () => base.createAdapter(),
    createIntrospector: (db) => base.createIntrospector(db),
  };
}
