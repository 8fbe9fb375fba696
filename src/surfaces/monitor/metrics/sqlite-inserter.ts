import type SqliteDatabase from 'better-sqlite3';
import { NodeRefresh, type NodeTimes } from './node-refresh.js';
import { ROW_WIDTH, SAMPLE_COLUMNS, type EncodedRows } from './sample-rows.js';

/** Writes groups of encoded rows through one connection's cached statements. */
export interface SqliteInserter {
  /**
   * Inserts every row of every group in one IMMEDIATE transaction, or in a savepoint when the
   * connection is already inside one (the writer thread's group); throws (nothing written) on failure.
   */
  insert(groups: readonly EncodedRows[]): void;
  /** Hears whether the enclosing transaction of the nested inserts since the last call committed. */
  settled(committed: boolean): void;
}

/**
 * Cached single-row prepared statements in one better-sqlite3 transaction per call: the
 * cheapest way to write rows through SQLite from JavaScript (a cached multi-row VALUES or
 * a json_each insert costs more per row). Used by the SQLite writer thread's sample operation.
 */
export function createSqliteInserter(native: SqliteDatabase.Database): SqliteInserter {
  const marks = SAMPLE_COLUMNS.map(() => '?').join(', ');
  const insertRow = native.prepare(`insert into nf_samples (${SAMPLE_COLUMNS.join(', ')}) values (${marks})`);
  const upsertNode = native.prepare(
    'insert into nf_nodes (s_nf, first_seen_at, last_received_at) values (?, ?, ?) ' +
      'on conflict (s_nf) do update set last_received_at = max(nf_nodes.last_received_at, excluded.last_received_at)',
  );
  const nodes = new NodeRefresh();
  if (ROW_WIDTH !== 17) throw new Error(`the insert binds 17 values per row, rows have ${ROW_WIDTH}`);
  const transaction = native.transaction((groups: readonly EncodedRows[]) => {
    for (const g of groups) {
      // Spelled-out arguments: binding from an argument list is cheaper than from an array.
      for (let r = 0; r < g.length; r += ROW_WIDTH) {
        insertRow.run(g[r], g[r + 1], g[r + 2], g[r + 3], g[r + 4], g[r + 5], g[r + 6], g[r + 7], g[r + 8], g[r + 9], g[r + 10], g[r + 11], g[r + 12], g[r + 13], g[r + 14], g[r + 15], g[r + 16]);
      }
    }
    const due = nodes.due(groups);
    for (const [nf, t] of due) upsertNode.run(nf, t.first, t.last);
    return due;
  });
  let uncommitted: NodeTimes[] = [];
  return {
    insert(groups) {
      const nested = native.inTransaction;
      const due = transaction.immediate(groups);
      if (nested) uncommitted.push(due);
      else nodes.committed(due);
    },
    settled(committed) {
      if (committed) for (const due of uncommitted) nodes.committed(due);
      uncommitted = [];
    },
  };
}
