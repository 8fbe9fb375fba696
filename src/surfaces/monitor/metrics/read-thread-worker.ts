/**
 * The metrics read thread (started by read-thread.ts): a read-only connection to the
 * SQLite file that runs one query per message and posts back its rows, or its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import type { ReadReply, ReadRequest, ReadThreadOptions } from './read-thread.js';

const options = workerData as ReadThreadOptions;
const port = parentPort!;
const native = new SqliteDatabase(options.file, { readonly: true, fileMustExist: true });
native.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
const statements = new Map<string, SqliteDatabase.Statement>();

port.on('message', (request: ReadRequest) => {
  if (request.kind === 'close') {
    native.close();
    port.postMessage({ kind: 'closed' } satisfies ReadReply);
    port.close();
    return;
  }
  try {
    let statement = statements.get(request.sql);
    if (!statement) {
      statement = native.prepare(request.sql);
      if (statements.size < 100) statements.set(request.sql, statement);
    }
    port.postMessage({ kind: 'rows', id: request.id, rows: statement.all(...request.parameters) } satisfies ReadReply);
  } catch (err) {
    port.postMessage({ kind: 'failed', id: request.id, message: err instanceof Error ? err.message : String(err) } satisfies ReadReply);
  }
});
