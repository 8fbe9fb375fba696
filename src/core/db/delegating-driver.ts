import type { DatabaseConnection, DatabaseIntrospector, Dialect, DialectAdapter, Driver, Kysely, QueryCompiler, TransactionSettings } from 'kysely';

/** A connection handed out by a wrapping driver; `inner` is what the wrapped driver itself gave out. */
export interface WrappedConnection extends DatabaseConnection {
  readonly inner: DatabaseConnection;
}

/** The wrapped driver's own connection behind `connection` (one wrapping layer removed). */
export function innerConnection(connection: DatabaseConnection): DatabaseConnection {
  return 'inner' in connection ? (connection as WrappedConnection).inner : connection;
}

/**
 * A driver that passes every call to `inner`, unwrapping the connections it hands out
 * (`wrap`). A wrapping dialect extends it and overrides only the calls it changes.
 */
export class DelegatingDriver implements Driver {
  constructor(protected readonly inner: Driver) {}

  /** The connection callers get for one the inner driver gave out. */
  protected wrap(connection: DatabaseConnection): DatabaseConnection {
    return connection;
  }

  init(): Promise<void> {
    return this.inner.init();
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.wrap(await this.inner.acquireConnection());
  }
  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner.beginTransaction(innerConnection(connection), settings);
  }
  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(innerConnection(connection));
  }
  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(innerConnection(connection));
  }
  async savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.savepoint?.(innerConnection(connection), name, compile);
  }
  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.rollbackToSavepoint?.(innerConnection(connection), name, compile);
  }
  async releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    await this.inner.releaseSavepoint?.(innerConnection(connection), name, compile);
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(innerConnection(connection));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** `dialect` with its driver and/or introspector replaced; the rest as it was. */
export function wrapDialect(
  dialect: Dialect,
  parts: { driver?: (inner: Driver) => Driver; introspector?: (db: Kysely<any>) => DatabaseIntrospector },
): Dialect {
  return {
    createDriver: () => (parts.driver ? parts.driver(dialect.createDriver()) : dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createAdapter: (): DialectAdapter => dialect.createAdapter(),
    createIntrospector: (db) => (parts.introspector ? parts.introspector(db) : dialect.createIntrospector(db)),
  };
}
