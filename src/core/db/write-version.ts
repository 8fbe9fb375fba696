import type { CompiledQuery, DatabaseConnection, Dialect, QueryResult, TransactionSettings } from 'kysely';
import type { Clock } from '../../lib/clock.js';
import type { CachePeers } from './cache-peers.js';
import { DelegatingDriver, wrapDialect, type WrappedConnection } from './delegating-driver.js';

/**
 * A commit version for PostgreSQL, kept in this process: what was read from some tables
 * while their version held one value may be served again while it still does.
 *
 * It moves after every write this process makes, once the database has answered it: per
 * table for an INSERT or UPDATE outside a transaction, per table at the commit or rollback
 * of a transaction, and for every table after a DELETE (cascades) or a statement it cannot
 * read. It also moves for every table at least every `outsideWritesWithinMs` of `clock`
 * time, so a change made from outside (a `stoa user` command, psql by hand) is seen within
 * that time, and nothing served is ever older than it.
 *
 * With `peers` (several nodes on one database), it also moves when another node writes,
 * and this node's writes to the tables any node serves from memory (`cachedTables`) are
 * acknowledged only once every other node has dropped what it read from them (see
 * cache-peers.ts). While this node is out of touch with the others it has no version
 * (`current` is null), so every read goes to the database.
 */
export class WriteVersion {
  private moves = 0;
  /** The move at which every table last moved. */
  private everything = 0;
  private everythingAt: number;
  /** The move at which each table last moved on its own. */
  private readonly tables = new Map<string, number>();
  private peers: CachePeers | null = null;
  private cachedTables: () => ReadonlySet<string> | null = () => null;

  constructor(
    private readonly clock: Clock,
    private readonly outsideWritesWithinMs: number,
  ) {
    this.everythingAt = clock.now();
  }

  /**
   * Shares this version with the other nodes on the database through `peers`, announcing
   * writes to the tables `cachedTables` names (every write when it answers null).
   */
  shareWith(peers: CachePeers, cachedTables: () => ReadonlySet<string> | null): void {
    this.peers = peers;
    this.cachedTables = cachedTables;
  }

  /**
   * The version of `tables` (of every table when not given): equal to an earlier reading
   * only if none of them was written in between. Null while nothing may be served again.
   */
  current(tables?: readonly string[]): number | null {
    if (this.peers && !this.peers.serving()) return null;
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

  /**
   * `written` (null for a statement that may have written any table) committed: moves them,
   * then resolves once every other node has dropped what it read from them (at once when
   * no other node serves any of them from memory).
   */
  async committed(written: Iterable<string | null>): Promise<void> {
    const tables = new Set<string>();
    let everything = false;
    for (const table of written) {
      this.moved(table);
      if (table === null) everything = true;
      else tables.add(table);
    }
    if (!this.peers) return;
    if (everything) return this.peers.announce(null);
    const cached = this.cachedTables();
    const announced = cached ? [...tables].filter((t) => cached.has(t)) : [...tables];
    if (announced.length > 0) await this.peers.announce(announced);
  }

  /** Nothing to release: the version lives in this process (the peers are closed by their owner). */
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

/** The tables a SELECT reads (after FROM and JOIN), for `WriteVersion.current`. */
export function tablesRead(sqlText: string): string[] {
  return [...new Set([...sqlText.matchAll(READ_SOURCE)].map((m) => m[1]!.toLowerCase()))];
}

/** Runs `operation`, then awaits `after` whether it succeeded or not (a failed write may still have committed). */
async function andThen<T>(operation: () => Promise<T>, after: () => Promise<void>): Promise<T> {
  try {
    return await operation();
  } finally {
    await after();
  }
}

/** A connection that moves the version after each write; inside a transaction, at its end. */
class CountingConnection implements WrappedConnection {
  /** Tables written in the open transaction (null: some statement could not be read); undefined outside one. */
  written: Set<string | null> | undefined;

  constructor(
    readonly inner: DatabaseConnection,
    private readonly version: WriteVersion,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (onlyReads(query.sql)) return this.inner.executeQuery<R>(query);
    const table = writtenTable(query.sql);
    if (this.written) {
      // Inside a transaction: moved now for this node's own reads, announced at the commit.
      this.written.add(table);
      return andThen(
        () => this.inner.executeQuery<R>(query),
        async () => this.version.moved(table),
      );
    }
    return andThen(
      () => this.inner.executeQuery<R>(query),
      () => this.version.committed([table]),
    );
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }

  /** Ends the transaction: every table it wrote moves, and is announced when it committed. */
  ended(committed: boolean): Promise<void> {
    const written = this.written ?? [];
    this.written = undefined;
    if (committed) return this.version.committed(written);
    for (const table of written) this.version.moved(table);
    return Promise.resolve();
  }
}

const counting = (connection: DatabaseConnection) => (connection instanceof CountingConnection ? connection : null);

/** Moves the version after each write and at each transaction end (see `CountingConnection`). */
class CountingDriver extends DelegatingDriver {
  constructor(
    inner: ConstructorParameters<typeof DelegatingDriver>[0],
    private readonly version: WriteVersion,
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
    // A failed COMMIT may still have committed: announced either way.
    return andThen(
      () => super.commitTransaction(connection),
      () => counting(connection)?.ended(true) ?? Promise.resolve(),
    );
  }
  override rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return andThen(
      () => super.rollbackTransaction(connection),
      () => counting(connection)?.ended(false) ?? Promise.resolve(),
    );
  }
}

/** Wraps a dialect so that every statement that may write, and every transaction end, moves `version`. */
export function countingWrites(dialect: Dialect, version: WriteVersion): Dialect {
  return wrapDialect(dialect, { driver: (inner) => new CountingDriver(inner, version) });
}
