import type SqliteDatabase from 'better-sqlite3';
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import { CommitVersion } from './commit-version.js';
import { tablesRead } from './write-version.js';
import { translateOutage } from './outage-dialect.js';
import type { ReadStatements } from './sqlite-split-dialect.js';

/**
 * SQLite handles whose main connection may answer prepared reads directly, registered by
 * `openDatabase`. A transaction is another Kysely object, so it is never found here and
 * its statements keep going through the dialect (to the writer thread).
 */
const directReaders = new WeakMap<Kysely<any>, ReadStatements>();

/** A number that moves whenever the data of a database may have changed (see `committedVersion`). */
export interface ChangeVersion {
  /** The version of `tables` where the database tells them apart, else of the whole database; null while nothing may be reused. */
  current(tables?: readonly string[]): number | null;
  close(): void;
}

/** Where each handle with a known version learns that something committed. */
const versions = new WeakMap<Kysely<any>, ChangeVersion>();

/** Most argument sets a reusing query keeps answers for between two commits. */
const MAX_REUSED_ANSWERS = 10_000;

/**
 * Lets `PreparedQuery` run reads of `db` straight on the dialect's own cached statements on
 * the main, reading connection (`reads`), without the per-query driver round. Returns the
 * handle's commit version (see `committedVersion`), for the caller to close with the database.
 */
export function readPreparedDirectly(db: Kysely<any>, reads: ReadStatements): CommitVersion {
  const version = new CommitVersion(reads.native);
  directReaders.set(db, reads);
  versions.set(db, version);
  return version;
}

/**
 * Gives `db` the version that tells when its reads may be served again (PostgreSQL: see
 * write-version.ts). SQLite handles get theirs from `readPreparedDirectly`.
 */
export function useChangeVersion(db: Kysely<any>, version: ChangeVersion): void {
  versions.set(db, version);
}

/**
 * A number that moves whenever something commits to the database: on SQLite from this process
 * or any other (a `stoa user` command, another node on the same file), and only then; on
 * PostgreSQL after each write of this node or (with several) of another node, and at least
 * every second, and then only for the tables written when `tables` (those a read reads) are
 * given (write-version.ts). Null where none is known (a transaction, or a node out of touch
 * with the others).
 * What was read while it held one value may be served again while it still does.
 */
export function committedVersion(db: Kysely<any>, tables?: readonly string[]): number | null {
  const version = versions.get(db);
  if (!version) return null;
  try {
    return version.current(tables);
  } catch (err) {
    translateOutage(err);
  }
}

/** Every prepared query that serves rows again, to learn which tables they read. */
const reusingQueries = new Set<PreparedQuery<any, any>>();

/** Tables other caches serve answers from (AnswerCache), declared when they are made. */
const cachedAnswerTables = new Set<string>();

/** Declares that answers read from `tables` are served again from memory (see `tablesServedFromMemory`). */
export function declareCachedTables(tables: readonly string[]): void {
  for (const table of tables) cachedAnswerTables.add(table);
}

/**
 * The tables any node may serve reads of from memory on `db`: those of every reusing
 * prepared query and every AnswerCache. Every node runs the same code, so every node names
 * the same tables; writes to any other table need not be announced to the others. Null when
 * some reusing query's tables cannot be told (then every write is announced).
 */
export function tablesServedFromMemory(db: Kysely<any>): ReadonlySet<string> | null {
  const tables = new Set(cachedAnswerTables);
  for (const query of reusingQueries) {
    const read = query.tablesRead(db);
    if (!read) return null;
    for (const table of read) tables.add(table);
  }
  return tables;
}

/** How a prepared query runs. */
export interface PreparedQueryOptions {
  /**
   * Serve the rows read for the same values again while nothing has committed since
   * (`committedVersion`, where the handle has one; never in a transaction). Each caller gets its own
   * copies of the rows. For hot reads whose values repeat: a token, a user id.
   */
  reuseWhileUnchanged?: boolean;
}

interface Compiled<Row> {
  query: CompiledQuery<Row>;
  slots: number[];
  /** The statement on the main SQLite connection when this query only reads; null to go through Kysely. */
  statement: SqliteDatabase.Statement | null | undefined;
  /** The tables the query reads (empty when unknown: then any commit moves its version). */
  tables: readonly string[] | undefined;
  /** Rows read per argument set at `version` (reusing queries only). */
  reused: Map<unknown, Row[]>;
  version: number | null;
}

/**
 * A query built and compiled once, then run with fresh values: on the hottest reads
 * (a token check on every signed-in request) building and compiling the query costs more
 * than running it. `build` receives one placeholder per value, in the order `run` takes
 * them; each must end up as one bound parameter of the compiled query. On SQLite a query
 * that only reads runs as a prepared statement on the main connection, as the dialect
 * would run it, but without its asynchronous layers.
 */
export class PreparedQuery<Row, Args extends readonly unknown[]> {
  private readonly compiled = new WeakMap<Kysely<any>, Compiled<Row>>();

  constructor(
    private readonly arity: Args['length'],
    private readonly build: (db: Kysely<any>, ...placeholders: unknown[]) => Compilable<Row>,
    private readonly options: PreparedQueryOptions = {},
  ) {
    if (options.reuseWhileUnchanged) reusingQueries.add(this);
  }

  /** The tables this query reads on `db` (undefined when they cannot be told from its SQL). */
  tablesRead(db: Kysely<any>): readonly string[] | undefined {
    return this.compiledFor(db).tables;
  }

  /** Runs the query on `db` with `args` in place of the placeholders. */
  async run(db: Kysely<any>, ...args: Args): Promise<Row[]> {
    const entry = this.compiledFor(db);
    const parameters = entry.query.parameters.slice();
    for (let i = 0; i < entry.slots.length; i++) parameters[entry.slots[i]!] = args[i];
    if (entry.statement === undefined) entry.statement = directStatement(db, entry.query.sql);
    if (entry.statement) {
      try {
        if (!this.options.reuseWhileUnchanged) return entry.statement.all(parameters as unknown[]) as Row[];
        return reuse(entry, committedVersion(db, entry.tables), args.length === 1 ? args[0] : args.join('\u0000'), parameters);
      } catch (err) {
        translateOutage(err);
      }
    }
    const version = this.options.reuseWhileUnchanged ? committedVersion(db, entry.tables) : null;
    if (version === null) return (await db.executeQuery<Row>({ ...entry.query, parameters })).rows;
    const key = args.length === 1 ? args[0] : args.join('\u0000');
    if (entry.version !== version) {
      entry.reused.clear();
      entry.version = version;
    }
    let rows = entry.reused.get(key);
    if (!rows) {
      rows = (await db.executeQuery<Row>({ ...entry.query, parameters })).rows;
      // Kept only if no newer version was seen meanwhile: rows belong to the version read before them.
      if (entry.version === version) keep(entry, key, rows);
    }
    return rows.map((row) => ({ ...row }));
  }

  private compiledFor(db: Kysely<any>): Compiled<Row> {
    let entry = this.compiled.get(db);
    if (!entry) {
      const placeholders = Array.from({ length: this.arity }, (_, i) => `\u0000placeholder-${i}`);
      const query = this.build(db, ...placeholders).compile();
      const slots = placeholders.map((p) => {
        const at = query.parameters.indexOf(p);
        if (at < 0 || query.parameters.lastIndexOf(p) !== at) throw new Error(`placeholder ${p} must be bound exactly once`);
        return at;
      });
      const tables = tablesRead(query.sql);
      entry = { query, slots, statement: undefined, tables: tables.length ? tables : undefined, reused: new Map(), version: null };
      this.compiled.set(db, entry);
    }
    return entry;
  }
}

/**
 * The rows for `key` read at `version`, read now if they were not. The version is read
 * before the rows, so rows kept under a version are never older than it.
 */
function reuse<Row>(entry: Compiled<Row>, version: number | null, key: unknown, parameters: unknown[]): Row[] {
  if (entry.version !== version) {
    entry.reused.clear();
    entry.version = version;
  }
  let rows = entry.reused.get(key);
  if (!rows) {
    rows = entry.statement!.all(parameters) as Row[];
    keep(entry, key, rows);
  }
  return rows.map((row) => ({ ...row }));
}

function keep<Row>(entry: Compiled<Row>, key: unknown, rows: Row[]): void {
  if (entry.reused.size >= MAX_REUSED_ANSWERS) entry.reused.clear();
  entry.reused.set(key, rows);
}

/** The main connection's statement for `sql` when `db` reads directly and `sql` only reads; null when not; undefined to ask again. */
function directStatement(db: Kysely<any>, sql: string): SqliteDatabase.Statement | null | undefined {
  const reads = directReaders.get(db);
  return reads ? reads.reader(sql) : null;
}
