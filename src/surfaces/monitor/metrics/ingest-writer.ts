import type { App } from '../../../core/app.js';
import type { SqliteNative } from '../../../core/db/database.js';
import { NodeRefresh } from './node-refresh.js';
import { insertEncodedRows } from './repo.js';
import type { EncodedRows } from './sample-rows.js';
import { createSqliteInserter, type SqliteInserter } from './sqlite-inserter.js';
import { SampleWriter } from './writer.js';
import { WriterThread, type WriterThreadOptions } from './writer-thread.js';

/**
 * The writer thread's settings: core's busy timeout; groups small enough to hold the write
 * lock briefly; checkpoints every 10,000 pages (40 MB of log; measured against SQLite's
 * default 1,000: a fifth less writer time per batched sample) or every second.
 */
const THREAD_OPTIONS: Omit<WriterThreadOptions, 'file'> = { busyTimeoutMs: 5000, maxGroupRows: 5000, checkpointPages: 10_000, checkpointIntervalMs: 1000 };

/** Most rows one in-process group commit takes. */
const IN_PROCESS_MAX_ROWS = 5000;

/** Groups committing at once on PostgreSQL (measured: 2 beats 1 by a third on batches, 4 gains nothing more). */
const PG_GROUPS_IN_FLIGHT = 2;

/**
 * Where an app's samples are committed. SQLite on a file: the writer thread, so inserts
 * and fsync overlap the HTTP work. Otherwise (PostgreSQL, an in-memory SQLite, after the
 * thread has stopped or died) an in-process group commit: SQLite through the main
 * connection's cached statements, or through Kysely when that connection is inside
 * someone else's transaction; PostgreSQL through one unnest statement per group.
 * `write` resolves only once the rows are committed.
 */
export class IngestWriter {
  private thread: WriterThread | null = null;
  private threadAllowed: boolean;
  private readonly inProcess: SampleWriter;
  private readonly nodes = new NodeRefresh();
  private inserter: SqliteInserter | null = null;
  /** The main connection's wal_autocheckpoint from before the thread took checkpoints over. */
  private mainCheckpointPages: number | null = null;

  constructor(private readonly app: App) {
    const file = app.sqliteNative?.name;
    this.threadAllowed = !!file && file !== ':memory:' && !app.sqliteNative!.memory;
    // PostgreSQL commits on pooled connections, so a second group can be on its way while one commits.
    const maxInFlight = app.dialect === 'postgres' ? PG_GROUPS_IN_FLIGHT : 1;
    this.inProcess = new SampleWriter((groups) => this.commitInProcess(groups), { maxRows: IN_PROCESS_MAX_ROWS, maxDelayMs: 0, maxInFlight });
  }

  /** Resolves once `rows` are durable; rejects (nothing acknowledged) when their commit failed. */
  write(rows: EncodedRows): Promise<void> {
    const thread = this.threadForWrite();
    return thread ? thread.write(rows) : this.inProcess.write(rows);
  }

  /** Waits for every accepted write; stops the writer thread (later writes are committed in-process). */
  async close(): Promise<void> {
    this.threadAllowed = false;
    const thread = this.thread;
    this.thread = null;
    await thread?.close();
    this.restoreMainCheckpoints();
    await this.inProcess.drain();
  }

  private threadForWrite(): WriterThread | null {
    if (this.thread?.usable) return this.thread;
    if (!this.threadAllowed) return null;
    // A thread that fails to start, or dies, is not started again: the next writes go in-process.
    const giveUp = (err: unknown) => {
      this.threadAllowed = false;
      this.thread = null;
      this.restoreMainCheckpoints();
      this.app.log.error({ err }, 'metrics writer thread stopped; committing samples in-process');
    };
    try {
      this.thread = new WriterThread({ ...THREAD_OPTIONS, file: this.app.sqliteNative!.name }, giveUp);
      // The thread checkpoints for every connection now: the main thread never stalls on one.
      const native = this.app.sqliteNative!;
      this.mainCheckpointPages ??= native.pragma('wal_autocheckpoint', { simple: true }) as number;
      native.pragma('wal_autocheckpoint = 0');
    } catch (err) {
      giveUp(err);
    }
    return this.thread;
  }

  private restoreMainCheckpoints(): void {
    if (this.mainCheckpointPages === null) return;
    const native = this.app.sqliteNative;
    if (native?.open) native.pragma(`wal_autocheckpoint = ${this.mainCheckpointPages}`);
    this.mainCheckpointPages = null;
  }

  private async commitInProcess(groups: EncodedRows[]): Promise<void> {
    const { app } = this;
    if (app.dialect === 'postgres') {
      const due = this.nodes.due(groups);
      await insertEncodedRows(app.db, app.dialect, groups, due);
      this.nodes.committed(due);
      return;
    }
    const native: SqliteNative | undefined = app.sqliteNative;
    // Never join, or commit, a Kysely transaction that is open on the shared connection: queue behind it instead.
    if (native && !native.inTransaction) {
      this.inserter ??= createSqliteInserter(native);
      this.inserter.insert(groups);
      return;
    }
    await app.db.transaction().execute((tx) => insertEncodedRows(tx, app.dialect, groups, new NodeRefresh().due(groups)));
  }
}
