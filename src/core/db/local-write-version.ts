import type { CompiledQuery, DatabaseConnection, Dialect, QueryResult, TransactionSettings } from 'kysely';
import type { Clock } from '../../lib/clock.js';
import { DelegatingDriver, wrapDialect, type WrappedConnection } from './delegating-driver.js';

/**
 * A commit version for a PostgreSQL database that one Stoa process alone writes (one node,
 * no REDIS_URL). It moves after every write this process makes, once the database has
 * answered it: per table for an INSERT or UPDATE outside a transaction, per table at the
 * commit or rollback of a transaction, and for every table after a DELETE (cascades) or a
 * statement it cannot read. It also moves for every table at least every
 * `outsideWritesWithinMs` of `clock` time, so that a change made from outside (a `stoa user`
 * command, psql by hand) is seen within that time. What was read from some tables while their
 * version held one value may be served again while it still does.
 */
export class LocalWriteVersion {
  private moves = 0;
  /** The move at which every table last moved. */
  private everything = 0;
  private everythingAt: number;
  /** The move at which each table last moved on its own. */
  private readonly tables = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly outsideWritesWithinMs: number,
  ) {
    this.everythingAt = clock.now();
  }

  /**
   * The version of `tables` (of every table when not given): equal to an earlier reading
   * only if this process wrote none of them in between.
   */
  current(tables?: readonly string[]): number {
    const now = this.clock.now();
    if (now - this.everythingAt >= this.outsideWritesWithinMs || now < this.everythingAt) this.moved(null);
    if (!tables) return this.moves;
    let version = this.everything;
    for (const table of tables) version = Math.max(version, this.tables.get(table) ?? 0);
    return version;
  }

  /** `table` (every table when null) may have changed; called once the database has answered. */
  moved(table: string | null): void {
    this.moves++;
    if (table === null) {
      this.everything = this.moves;
      this.everythingAt = this.clock.now();
    } else {
      this.tables.set(table, this.moves);
    }
  }

  /** Nothing to release: the version lives in this process. */
  close(): void {}
}

/** True for SQL that cannot change data: a plain SELECT (a `WITH` may hold a write, so it counts as one). */
function onlyReads(sqlText: string): boolean {
  return /^\s*select\b/i.test(sqlText);
}

const WRITE_TARGET = /^\s*(?:insert\s+into|update)\s+(?:"?\w+"?\.)?"?(\w+)"?/i;
const READ_SOURCE = /\b(?:from|join)\s+(?:"?\w+"?\.)?"?(\w+)"?/gi;

/** The one table an INSERT or UPDATE writes; null for anything else (a DELETE may cascade). */
function writtenTable(sqlText: string): string | null {
  return WRITE_TARGET.exec(sqlText)?.[1]?.toLowerCase() ?? null;
}

/** The tables a SELECT reads (after FROM and JOIN), for `LocalWriteVersion.current`. */
export function tablesRead(sqlText: string): string[] {
  return [...new Set([...sqlText.matchAll(READ_SOURCE)].map((m) => m[1]!.toLowerCase()))];
}

/** Runs `operation`, then calls `after` whether it succeeded or not (a failed write may still have committed). */
async function andThen<T>(operation: () => Promise<T>, after: () => void): Promise<T> {
  try {
    return await operation();
  } finally {
    after();
  }
}

/** A connection that moves the version after each write; inside a transaction, at its end. */
class CountingConnection implements WrappedConnection {
  /** Tables written in the open transaction (null: some statement could not be read); undefined outside one. */
  written: Set<string | null> | undefined;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly version: LocalWriteVersion,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (onlyReads(query.sql)) return this.inner.executeQuery<R>(query);
    const table = writtenTable(query.sql);
    if (this.written) this.written.add(table);
    return andThen(
      () => this.inner.executeQuery<R>(query),
      () => this.version.moved(table),
    );
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }

  /** Ends the transaction: every table it wrote moves. */
  ended(): void {
    for (const table of this.written ?? []) this.version.moved(table);
    this.written = undefined;
  }
}

const counting = (connection: DatabaseConnection) => (connection instanceof CountingConnection ? connection : null);

/** Moves the version after each write and at each transaction end (see `CountingConnection`). */
class CountingDriver extends DelegatingDriver {
  constructor(
    inner: ConstructorParameters<typeof DelegatingDriver>[0],
    private readonly version: LocalWriteVersion,
  ) {
    super(inner);
  }

  protected override wrap(connection: DatabaseConnection): DatabaseConnection {
    return new CountingConnection(connection, this.version);
  }
  override beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const tracked = counting(connection);
    if (tracked) tracked.written = new Set();
    return super.beginTransaction(connection, settings);
  }
  override commitTransaction(connection: DatabaseConnection): Promise<void> {
    return andThen(
      () => super.commitTransaction(connection),
      () => counting(connection)?.ended(),
    );
  }
  override rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return andThen(
      () => super.rollbackTransaction(connection),
      () => counting(connection)?.ended(),
    );
  }
}

/** Wraps a dialect so that every statement that may write, and every transaction end, moves `version`. */
export function countingWrites(dialect: Dialect, version: LocalWriteVersion): Dialect {
  return wrapDialect(dialect, { driver: (inner) => new CountingDriver(inner, version) });
}
