/**
 * The metrics writer thread (started by writer-thread.ts): its own connection to the
 * SQLite file, full fsync, the cached insert statements. Each message is one batch of
 * encoded rows; whatever batches are already queued when a commit starts join it (up to
 * `maxGroupRows` rows), and every batch in the group is acknowledged after that commit.
 * It also checkpoints the write-ahead log for every connection to the file.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { ROW_WIDTH, type EncodedRows } from './sample-rows.js';
import { createSqliteInserter } from './sqlite-inserter.js';
import type { WriterReply, WriterRequest, WriterThreadOptions } from './writer-thread.js';

const options = workerData as WriterThreadOptions;
const port = parentPort!;
const native = new SqliteDatabase(options.file, { fileMustExist: true });
native.pragma('synchronous = FULL');
native.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
native.pragma(`wal_autocheckpoint = ${options.checkpointPages}`);
const inserter = createSqliteInserter(native);

// PASSIVE never waits on readers or writers; what it cannot copy now, a later round will.
const checkpointTimer = setInterval(() => {
  try {
    native.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or failing: the next round tries again, and commits still checkpoint past checkpointPages.
  }
}, options.checkpointIntervalMs);

function rowCount(groups: readonly EncodedRows[]): number {
  let values = 0;
  for (const g of groups) values += g.length;
  return values / ROW_WIDTH;
}

function reply(message: WriterReply): void {
  port.postMessage(message);
}

function closeConnection(): void {
  clearInterval(checkpointTimer);
  native.close();
  reply({ kind: 'closed' });
  port.close();
}

port.on('message', (first: WriterRequest) => {
  if (first.kind === 'close') return closeConnection();
  const batches = [first];
  let rows = rowCount(first.groups);
  let closing = false;
  while (rows < options.maxGroupRows) {
    const next = receiveMessageOnPort(port)?.message as WriterRequest | undefined;
    if (!next) break;
    if (next.kind === 'close') {
      closing = true;
      break;
    }
    batches.push(next);
    rows += rowCount(next.groups);
  }
  const ids = batches.map((b) => b.id);
  try {
    inserter.insert(batches.flatMap((b) => b.groups));
    reply({ kind: 'committed', ids });
  } catch (err) {
    reply({ kind: 'failed', ids, message: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code });
  }
  if (closing) closeConnection();
});
