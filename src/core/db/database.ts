import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { withOutageErrors } from './outage-dialect.js';
import type { Clock } from '../../lib/clock.js';
import { CachePeers } from './cache-peers.js';
import { countingWrites, WriteVersion } from './write-version.js';
import { readPreparedDirectly, tablesServedFromMemory, useChangeVersion } from './prepared-query.js';
import { withCurrentSchemaIntrospection } from './schema-introspector.js';
import { ReadStatements, sqliteSplitDialect } from './sqlite-split-dialect.js';
import { SqliteWriter } from './sqlite-writer.js';
import type { Database, DialectName } from './schema.js';

/** A native better-sqlite3 connection. */
export type SqliteNative = SqliteDatabase.Database;

/** An open database: the Kysely handle, which dialect it speaks, and how to close it. */
export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /**
   * The main-thread better-sqlite3 connection that `db` reads through (SQLite only), for hot
   * reads that want their own cached statement. Read only: a write here would bypass the
   * writer thread's group commit and wait on the disk on the main thread.
   */
  sqlite?: SqliteNative;
  /** The thread every SQLite write goes through (SQLite only); surfaces run bulk operations on it. */
  sqliteWriter?: SqliteWriter;
  /** Throws when the database cannot answer (readiness checks). */
  ping(): Promise<void>;
  /**
   * PostgreSQL shared by several nodes: joins the others, so hot reads are served from memory
   * and this node's writes are announced to them (cache-peers.ts). Needs the migrated schema.
   */
  joinPeers?(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * The writer thread's settings: core's busy timeout; groups small enough to hold the write
 * lock briefly; checkpoints every 10,000 pages (40 MB of log; measured against SQLite's
 * default 1,000: a fifth less writer time per batched sample) or every second.
 */
const WRITER_OPTIONS = { busyTimeoutMs: 5000, maxGroupWeight: 5000, checkpointPages: 10_000, checkpointIntervalMs: 1000 };

/** Within how long a change made to PostgreSQL from outside the one node writing it is seen. */
export const OUTSIDE_WRITES_SEEN_WITHIN_MS = 1000;

/**
 * PostgreSQL written by this process alone (one node): hot reads are served again until this
 * process writes, and at least every `outsideWritesWithinMs` of `clock` time they are read anew.
 */
export interface SoleWriter {
  clock: Clock;
  outsideWritesWithinMs?: number;
}

/**
 * PostgreSQL shared by several nodes: hot reads are served again until any node writes what
 * they read (each node announces its writes to the others before acknowledging them), and
 * at least every second of `clock` time they are read anew.
 */
export interface SharedWriter {
  clock: Clock;
  nodeId: string;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The longest a write waits for the other nodes to confirm they dropped what it changed:
 * by then each has read everything anew anyway (OUTSIDE_WRITES_SEEN_WITHIN_MS), so a node
 * that is slow or gone delays writes by at most this, and never makes a read stale.
 */
const PEER_CONFIRMATION_BOUND_MS = 2000;

/**
 * Opens PostgreSQL when `databaseUrl` is set, otherwise the SQLite file `stoa.db` in
 * `dataDir` with WAL and full fsync, so an acknowledged write survives a crash.
 * `onWriterDeath` hears when the SQLite writer thread fails (the next write starts another).
 * `soleWriter` is for a PostgreSQL database no other node writes (see `SoleWriter`),
 * `sharedWriter` for one several nodes share (see `SharedWriter`); with neither, every
 * PostgreSQL read goes to the database.
 */
export function openDatabase(options: {
  databaseUrl: string | null;
  dataDir: string;
  poolSize?: number;
  onWriterDeath?: (err: Error) => void;
  soleWriter?: SoleWriter;
  sharedWriter?: SharedWriter;
}): OpenDatabase {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10, options);
  makePrivateFolder(options.dataDir);
  return openSqlite(path.join(options.dataDir, 'stoa.db'), options.onWriterDeath ?? (() => {}));
}

/** Who may enter the data folder: the server's user only (it holds hashes, e-mails, phones). */
const PRIVATE_FOLDER_MODE = 0o700;
/** Who may read the database, its log and its shared memory: the server's user only. */
const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` for the server's user alone, or closes an existing one that is open to
 * others. A folder of another user's cannot be changed; it is reported and left as it is.
 */
function makePrivateFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_FOLDER_MODE });
  if (process.getuid === undefined) return; // no POSIX modes (Windows)
  const { mode, uid } = statSync(dir);
  if ((mode & 0o077) === 0) return;
  if (uid === process.getuid()) chmodSync(dir, PRIVATE_FOLDER_MODE);
  else process.emitWarning(`data folder ${dir} is open to other users (mode ${(mode & 0o777).toString(8)}); make it 0700`);
}

/**
 * The main connection reads; the writer thread writes (see sqlite-split-dialect.ts). The main
 * connection never checkpoints: the writer thread does, so no request waits on that fsync.
 */
function openSqlite(file: string, onWriterDeath: (err: Error) => void): OpenDatabase {
  const native = new SqliteDatabase(file);
  // SQLite gives the log and shared-memory files it creates later the database file's
  // mode, so closing the files already here closes those too.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, PRIVATE_FILE_MODE);
  native.pragma('journal_mode = WAL');
  native.pragma('synchronous = FULL');
  native.pragma('foreign_keys = ON');
  native.pragma('busy_timeout = 5000');
  native.pragma('wal_autocheckpoint = 0');
  const writer = new SqliteWriter({ ...WRITER_OPTIONS, file }, onWriterDeath);
  const reads = new ReadStatements(native);
  const db = new Kysely<Database>({ dialect: withOutageErrors(sqliteSplitDialect(reads, writer)) });
  const commitVersion = readPreparedDirectly(db, reads);
  return {
    db,
    dialect: 'sqlite',
    sqlite: native,
    sqliteWriter: writer,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      commitVersion.close();
      await db.destroy();
    },
  };
}

function openPostgres(
  connectionString: string,
  max: number,
  writers: { soleWriter?: SoleWriter; sharedWriter?: SharedWriter },
): OpenDatabase {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Nor may a checked-out one (pg-pool listens only while a client is idle): its queries
  // fail with "Connection terminated" (-> AppError 'unavailable') and the pool drops it on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  const { soleWriter, sharedWriter } = writers;
  const clock = soleWriter?.clock ?? sharedWriter?.clock;
  const version = clock && new WriteVersion(clock, soleWriter?.outsideWritesWithinMs ?? OUTSIDE_WRITES_SEEN_WITHIN_MS);
  const dialect = withOutageErrors(withCurrentSchemaIntrospection(new PostgresDialect({ pool })));
  const db = new Kysely<Database>({ dialect: version ? countingWrites(dialect, version) : dialect });
  if (version) useChangeVersion(db, version);
  let peers: CachePeers | undefined;
  if (version && sharedWriter && !soleWriter) {
    peers = new CachePeers({
      connectionString,
      nodeId: sharedWriter.nodeId,
      confirmWithinMs: PEER_CONFIRMATION_BOUND_MS,
      onPeerWrite: (tables) => (tables ? tables.forEach((t) => version.moved(t)) : version.moved(null)),
      onRejoin: () => version.moved(null),
      warn: sharedWriter.warn,
    });
    let cachedTables: ReadonlySet<string> | null | undefined;
    // Every module's reusing queries and caches exist by the first write after joining.
    version.shareWith(peers, () => (cachedTables === undefined ? (cachedTables = tablesServedFromMemory(db)) : cachedTables));
  }
  return {
    db,
    dialect: 'postgres',
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    joinPeers: peers && (() => peers.start()),
    close: async () => {
      await peers?.close();
      await db.destroy();
    },
  };
}

/** True when the error is a unique-constraint violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
