import type { CompiledQuery, DatabaseConnection, Dialect, QueryCompiler, QueryResult, TransactionSettings } from 'kysely';
import { AppError } from '../errors.js';
import { DelegatingDriver, wrapDialect, type WrappedConnection } from './delegating-driver.js';

/** Socket error codes that mean the database server cannot be reached. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** PostgreSQL SQLSTATEs of an outage: admin/crash shutdown, cannot connect now, too many connections. */
const PG_OUTAGE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages node-postgres and pg-pool use for a lost or impossible connection. */
const PG_OUTAGE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'is not queryable',
];

/**
 * True when a database error means "the database is unreachable or overloaded right now"
 * rather than "this query is wrong": pg network errors, class 08 connection exceptions,
 * shutdowns, pool connect timeouts, and SQLite's SQLITE_BUSY / SQLITE_IOERR families.
 */
export function isDatabaseOutage(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || PG_OUTAGE_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_IOERR')) return true;
  }
  return PG_OUTAGE_MESSAGES.some((text) => err.message.includes(text));
}

/** Rethrows an outage as AppError('unavailable') with the driver error kept as the cause (for the log only). */
export function translateOutage(err: unknown): never {
  if (isDatabaseOutage(err)) throw new AppError('unavailable', 'database unavailable', { cause: err });
  throw err;
}

async function guard<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    return translateOutage(err);
  }
}

/** A driver connection whose failures are translated; the inner one is what the driver itself gets back. */
class OutageConnection implements WrappedConnection {
  constructor(readonly inner: DatabaseConnection) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return guard(() => this.inner.executeQuery<R>(query));
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (err) {
      translateOutage(err);
    }
  }
}

/** Wraps the dialect's driver; every call into it goes through `guard`. */
class OutageDriver extends DelegatingDriver {
  protected override wrap(connection: DatabaseConnection): DatabaseConnection {
    return new OutageConnection(connection);
  }
  override init(): Promise<void> {
    return guard(() => super.init());
  }
  override acquireConnection(): Promise<DatabaseConnection> {
    return guard(() => super.acquireConnection());
  }
  override beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return guard(() => super.beginTransaction(connection, settings));
  }
  override commitTransaction(connection: DatabaseConnection): Promise<void> {
    return guard(() => super.commitTransaction(connection));
  }
  override rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return guard(() => super.rollbackTransaction(connection));
  }
  override savepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return guard(() => super.savepoint(connection, name, compile));
  }
  override rollbackToSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return guard(() => super.rollbackToSavepoint(connection, name, compile));
  }
  override releaseSavepoint(connection: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return guard(() => super.releaseSavepoint(connection, name, compile));
  }
}

/**
 * The one place database outages are recognised: wraps a Kysely dialect so that every
 * query, transaction step and connection checkout that fails because PostgreSQL or the
 * SQLite file is unreachable throws AppError('unavailable', 'database unavailable')
 * (each surface answers it with its own 503). Other errors, such as unique violations,
 * pass through unchanged. Connection strings never appear in the error.
 */
export function withOutageErrors(dialect: Dialect): Dialect {
  return wrapDialect(dialect, { driver: (inner) => new OutageDriver(inner) });
}
