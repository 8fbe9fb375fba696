import type { App } from '../../../core/app.js';
import type { SqliteNative } from '../../../core/db/database.js';
import { NodeRefresh } from './node-refresh.js';
import { insertEncodedRows } from './repo.js';
import type { EncodedRows } from './sample-rows.js';
import { createSqliteInserter, type SqliteInserter } from './sqlite-inserter.js';
import { SampleWriter } from './writer.js';

/** Most rows one in-process group commit takes. */
const IN_PROCESS_MAX_ROWS = 5000;

/**
 * Where an app's samples are committed: a group commit, SQLite through the main
 * connection's cached statements (or through Kysely when that connection is inside
 * someone else's transaction), PostgreSQL through one unnest statement per group.
 * `write` resolves only once the rows are committed.
 */
export class IngestWriter {
  private readonly inProcess: SampleWriter;
  private readonly nodes = new NodeRefresh();
  private inserter: SqliteInserter | null = null;

  constructor(private readonly app: App) {
    this.inProcess = new SampleWriter((groups) => this.commitInProcess(groups), { maxRows: IN_PROCESS_MAX_ROWS, maxDelayMs: 0 });
  }

  /** Resolves once `rows` are durable; rejects (nothing acknowledged) when their commit failed. */
  write(rows: EncodedRows): Promise<void> {
    return this.inProcess.write(rows);
  }

  /** Waits for every accepted write. */
  async close(): Promise<void> {
    await this.inProcess.drain();
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
