/**
 * The SQLite writer thread (started by sqlite-writer.ts): the one connection that writes
 * the database file, with full fsync. Units arrive in order; the thread opens a group
 * transaction, applies every unit already queued (up to `maxGroupWeight`), commits once,
 * and only then acknowledges them. A failing statement undoes itself alone; a failing
 * commit fails every unit of its group. An interactive transaction is a savepoint inside
 * the group and runs alone: units for others wait until it ends. The thread also
 * checkpoints the write-ahead log for every connection to the file.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import type { SqliteWriterOptions, StatementResult, UnitOutcome, WriterMessage, WriterOperation, WriterOperationModule, WriterReply, WriterUnit } from './sqlite-writer.js';

const options = workerData as SqliteWriterOptions;
const port = parentPort!;
const native = new SqliteDatabase(options.file, { fileMustExist: true });
native.pragma('journal_mode = WAL');
native.pragma('synchronous = FULL');
native.pragma('foreign_keys = ON');
native.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
native.pragma(`wal_autocheckpoint = ${options.checkpointPages}`);

// PASSIVE never waits on readers or writers; what it cannot copy now, a later round will.
const checkpointTimer = setInterval(() => {
  if (native.inTransaction) return;
  try {
    native.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or failing: the next round tries again, and commits still checkpoint past checkpointPages.
  }
}, options.checkpointIntervalMs);

const statements = new Map<string, SqliteDatabase.Statement>();
const operations = new Map<string, WriterOperation>();
const loading = new Map<string, Promise<void>>();

/** Units received and not yet applied, in order, from `head` on. */
let queue: WriterUnit[] = [];
let head = 0;
/** Units that arrived for others while a transaction was open. */
let deferred: WriterUnit[] = [];
/** The open interactive transaction, or null. */
let openTx: number | null = null;
/** Transactions SQLite rolled back under us (a failed commit or a fatal error): their later units fail. */
const lostTx = new Set<number>();
/**
 * Outcomes of the units applied in the open group, answered when it commits: failures too,
 * since a failing unit may have seen what others in the group wrote (a unique violation),
 * and its caller must be able to read that when it hears.
 */
let groupAcks: UnitOutcome[] = [];
let groupWeight = 0;
const usedOperations = new Set<WriterOperation>();
let closing = false;
let pumping = false;

function prepared(sql: string): SqliteDatabase.Statement {
  let stmt = statements.get(sql);
  if (!stmt) {
    if (statements.size >= 500) statements.clear();
    stmt = native.prepare(sql);
    statements.set(sql, stmt);
  }
  return stmt;
}

/** better-sqlite3 binds Buffers; a Buffer crosses threads as a plain Uint8Array. */
function bindable(params: unknown[]): unknown[] {
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
}

function execute(sql: string, params: unknown[]): StatementResult {
  const stmt = prepared(sql);
  if (stmt.reader) return { rows: stmt.all(bindable(params)) };
  const { changes, lastInsertRowid } = stmt.run(bindable(params));
  return { rows: [], changes, lastInsertRowid };
}

function failure(id: number, err: unknown): UnitOutcome {
  return { id, ok: false, message: err instanceof Error ? err.message : String(err), code: (err as { code?: string }).code };
}

function reply(outcomes: UnitOutcome[], committed?: true): void {
  if (outcomes.length > 0) port.postMessage({ kind: 'outcomes', outcomes, committed } satisfies WriterReply);
}

function ensureGroup(): void {
  if (!native.inTransaction) prepared('BEGIN IMMEDIATE').run();
}

/** After an error: when SQLite rolled the whole group back, everything applied in it is lost. */
function checkGroupSurvived(err: unknown): void {
  if (native.inTransaction || (groupAcks.length === 0 && openTx === null)) return;
  reply(groupAcks.map((a) => (a.ok ? failure(a.id, err) : a)));
  groupAcks = [];
  groupWeight = 0;
  if (openTx !== null) lostTx.add(openTx);
  openTx = null;
  settleOperations(false);
}

function settleOperations(committed: boolean): void {
  for (const op of usedOperations) op.settled?.(committed);
  usedOperations.clear();
}

function commitGroup(): void {
  const acks = groupAcks;
  groupAcks = [];
  groupWeight = 0;
  if (!native.inTransaction) {
    // Nothing to commit: only failures (a group that never began) are waiting.
    reply(acks);
    return;
  }
  try {
    prepared('COMMIT').run();
    settleOperations(true);
    reply(acks, true);
  } catch (err) {
    if (native.inTransaction) prepared('ROLLBACK').run();
    settleOperations(false);
    reply(acks.map((a) => (a.ok ? failure(a.id, err) : a)));
  }
}

const savepoint = (tx: number) => `stoa_tx_${tx}`;

/** Applies one unit; false when it must wait (its operation module is still loading). */
function apply(unit: WriterUnit, immediate: UnitOutcome[]): boolean {
  switch (unit.kind) {
    case 'run':
      try {
        ensureGroup();
        groupAcks.push({ id: unit.id, ok: true, value: execute(unit.sql, unit.params) });
      } catch (err) {
        groupAcks.push(failure(unit.id, err));
        checkGroupSurvived(err);
      }
      groupWeight += 1;
      return true;
    case 'operation': {
      const op = operations.get(unit.module);
      if (!op) {
        loadOperation(unit.module);
        return false;
      }
      // Later units of the same module queued right behind this one go in the same call.
      const batch = [unit];
      let weight = unit.weight;
      for (let i = head + 1; i < queue.length && weight < options.maxGroupWeight; i++) {
        const next = queue[i]!;
        if (next.kind !== 'operation' || next.module !== unit.module) break;
        batch.push(next);
        weight += next.weight;
      }
      head += batch.length - 1;
      try {
        ensureGroup();
        usedOperations.add(op);
        const values = op.apply(batch.map((u) => u.payload));
        batch.forEach((u, i) => groupAcks.push({ id: u.id, ok: true, value: values[i] }));
      } catch (err) {
        for (const u of batch) groupAcks.push(failure(u.id, err));
        checkGroupSurvived(err);
      }
      groupWeight += weight;
      return true;
    }
    case 'begin':
      try {
        ensureGroup();
        prepared(`SAVEPOINT ${savepoint(unit.tx)}`).run();
        openTx = unit.tx;
        immediate.push({ id: unit.id, ok: true, value: null });
      } catch (err) {
        immediate.push(failure(unit.id, err));
        checkGroupSurvived(err);
      }
      return true;
    case 'tx-run':
      if (unit.tx !== openTx) {
        immediate.push(failure(unit.id, new Error('transaction was rolled back')));
        return true;
      }
      try {
        immediate.push({ id: unit.id, ok: true, value: execute(unit.sql, unit.params) });
      } catch (err) {
        immediate.push(failure(unit.id, err));
        checkGroupSurvived(err);
      }
      return true;
    case 'commit':
      if (unit.tx !== openTx) {
        lostTx.delete(unit.tx);
        immediate.push(failure(unit.id, new Error('transaction was rolled back')));
        return true;
      }
      openTx = null;
      try {
        prepared(`RELEASE ${savepoint(unit.tx)}`).run();
        groupAcks.push({ id: unit.id, ok: true, value: null });
        groupWeight += 1;
      } catch (err) {
        immediate.push(failure(unit.id, err));
        checkGroupSurvived(err);
      }
      return true;
    case 'rollback':
      lostTx.delete(unit.tx);
      if (unit.tx === openTx) {
        openTx = null;
        try {
          prepared(`ROLLBACK TO ${savepoint(unit.tx)}`).run();
          prepared(`RELEASE ${savepoint(unit.tx)}`).run();
        } catch (err) {
          checkGroupSurvived(err);
        }
      }
      // Answered with the group: what made the caller give up may be in it, and must be readable then.
      if (native.inTransaction) groupAcks.push({ id: unit.id, ok: true, value: null });
      else immediate.push({ id: unit.id, ok: true, value: null });
      return true;
  }
}

function loadOperation(module: string): void {
  if (loading.has(module)) return;
  const load = import(module)
    .then((m: WriterOperationModule) => {
      operations.set(module, m.writerOperation(native));
    })
    .catch((err) => {
      // Fail every queued unit of this module, then let later ones try again.
      const ofModule = (u: WriterUnit) => u.kind === 'operation' && u.module === module;
      const waiting = queue.slice(head);
      reply(waiting.filter(ofModule).map((u) => failure(u.id, err)));
      queue = waiting.filter((u) => !ofModule(u));
      head = 0;
    })
    .finally(() => {
      loading.delete(module);
      pump();
    });
  loading.set(module, load);
}

function take(message: WriterMessage): void {
  if (message.kind === 'close') closing = true;
  else for (const unit of message.units) queue.push(unit);
}

/** Belongs to the open transaction, or may run because none is open. */
function runnable(unit: WriterUnit): boolean {
  return openTx === null || unit.kind === 'tx-run' || unit.kind === 'commit' || unit.kind === 'rollback';
}

/** Units set aside while a transaction was open go back to the front once it ends. */
function restoreDeferred(): void {
  if (openTx !== null || deferred.length === 0) return;
  queue = deferred.concat(queue.slice(head));
  deferred = [];
  head = 0;
}

/** Applies queued units group by group; commits whenever the queue runs dry outside a transaction. */
function pump(): void {
  if (pumping) return;
  pumping = true;
  try {
    for (;;) {
      const immediate: UnitOutcome[] = [];
      let waitingForModule = false;
      while (groupWeight < options.maxGroupWeight) {
        if (head === queue.length) {
          queue = [];
          head = 0;
          const next = receiveMessageOnPort(port)?.message as WriterMessage | undefined;
          if (!next) break;
          take(next);
          continue;
        }
        const unit = queue[head]!;
        if (!runnable(unit)) {
          deferred.push(unit);
          head++;
          continue;
        }
        if (!apply(unit, immediate)) {
          waitingForModule = true;
          break;
        }
        head++;
        restoreDeferred();
      }
      reply(immediate);
      if (openTx !== null || waitingForModule) return;
      commitGroup();
      if (head === queue.length) break;
    }
    if (closing) close();
  } finally {
    pumping = false;
  }
}

function close(): void {
  if (!native.open) return;
  clearInterval(checkpointTimer);
  native.close();
  port.postMessage({ kind: 'closed' } satisfies WriterReply);
  port.close();
}

port.on('message', (message: WriterMessage) => {
  take(message);
  pump();
});
