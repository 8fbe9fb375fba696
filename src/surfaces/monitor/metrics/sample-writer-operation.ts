/**
 * Sample batches as an operation of the SQLite writer thread (src/core/db/sqlite-writer.ts):
 * the thread loads this module and applies queued batches with cached insert statements
 * inside its group transaction, so samples share commits with every other write.
 */
import type SqliteDatabase from 'better-sqlite3';
import type { WriterOperation } from '../../../core/db/sqlite-writer.js';
import type { EncodedRows } from './sample-rows.js';
import { createSqliteInserter } from './sqlite-inserter.js';

/** Built once on the writer's connection. */
export function writerOperation(native: SqliteDatabase.Database): WriterOperation {
  const inserter = createSqliteInserter(native);
  return {
    apply(payloads) {
      inserter.insert(payloads as EncodedRows[]);
      return payloads.map(() => null);
    },
    settled: (committed) => inserter.settled(committed),
  };
}

/** What callers pass to `SqliteWriter.operation`. */
export const SAMPLE_WRITER_OPERATION = new URL(import.meta.url);
