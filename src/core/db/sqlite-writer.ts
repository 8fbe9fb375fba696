import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../lib/ts-worker.js';

/** What the writer thread is started with (its workerData). */
export interface SqliteWriterOptions {
  /** The SQLite file, in WAL mode. */
  file: string;
  busyTimeoutMs: number;
  /**
   * Most work one commit takes from the queue, in weight units (a statement weighs 1, an
   * operation what its caller says, e.g. its row count): bounds how long a commit holds the
   * write lock and how long the first request in it waits.
   */
  maxGroupWeight: number;
  /**
   * The thread's connection checkpoints the write-ahead log once it holds this many pages
   * (SQLite's wal_autocheckpoint), and every `checkpointIntervalMs` whatever its size, so
   * checkpoints (copying the log into the database file, with an fsync) run here rather than
   * on the main thread, whose connection does not checkpoint while the thread lives.
   */
  checkpointPages: number;
  checkpointIntervalMs: number;
}

/** What one statement did: its rows (SELECT or RETURNING), or how many rows it changed. */
export interface StatementResult {
  rows: unknown[];
  changes?: number;
  lastInsertRowid?: number | bigint;
}

/** One piece of work for the writer thread. */
export type WriterUnit =
  /** A statement on its own: acknowledged after the commit that holds it. */
  | { kind: 'run'; id: number; sql: string; params: unknown[] }
  /** A module's `writerOperation(native)` applied to `payload` inside the group: acknowledged after the commit. */
  | { kind: 'operation'; id: number; module: string; payload: unknown; weight: number }
  /** Opens an interactive transaction (a savepoint in the group): answered once it is open. */
  | { kind: 'begin'; id: number; tx: number }
  /** A statement inside an open transaction: answered at once, with its rows. */
  | { kind: 'tx-run'; id: number; tx: number; sql: string; params: unknown[] }
  /** Ends a transaction: acknowledged after the group commit that holds it. */
  | { kind: 'commit'; id: number; tx: number }
  /** Undoes a transaction: answered at once. */
  | { kind: 'rollback'; id: number; tx: number };

/** Main thread -> writer thread. */
export type WriterMessage = { kind: 'units'; units: WriterUnit[] } | { kind: 'close' };

/** The outcome of one unit. */
export type UnitOutcome = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; code?: string };

/** Writer thread -> main thread. */
/** Writer thread -> main thread; `committed` marks the acknowledgements of one group commit. */
export type WriterReply = { kind: 'outcomes'; outcomes: UnitOutcome[]; committed?: true } | { kind: 'closed' };

/** What a module run by `operation` exports: built once per writer connection. */
export interface WriterOperationModule {
  writerOperation(native: import('better-sqlite3').Database): WriterOperation;
}

/** Work a surface runs inside the writer's group transaction (e.g. a batch of cached inserts). */
export interface WriterOperation {
  /**
   * Applies payloads that were queued one after another, answering each (same order). It
   * must leave nothing behind when it throws (a better-sqlite3 `transaction` function nests
   * as a savepoint inside the group); every one of these payloads then fails.
   */
  apply(payloads: unknown[]): unknown[];
  /** Hears whether the group holding the payloads applied since the last call committed. */
  settled?(committed: boolean): void;
}

/** A failure on the writer thread, with SQLite's error code when there was one. */
export class SqliteWriterError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'SqliteWriterError';
  }
}

interface Waiter {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type UnitWithoutId = WriterUnit extends infer U ? (U extends WriterUnit ? Omit<U, 'id'> : never) : never;

/**
 * The main thread's handle on the SQLite writer thread: every write to the database file
 * goes through it. The thread owns the one writing connection (full fsync). Whatever is
 * queued when a commit starts joins it, so many requests share one transaction and one
 * fsync, and each is answered only after the commit that holds it: an acknowledged write
 * is durable, and the main thread never waits on the disk. Interactive transactions run as
 * savepoints inside a group, alone: other work queues behind them until they end.
 * A thread that dies fails what it held; the next request starts a new one.
 */
export class SqliteWriter {
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private nextTx = 1;
  private pending: WriterUnit[] = [];
  private flushScheduled = false;
  private closing: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;
  /** Group commits and the units they acknowledged, since start (how much commits are shared). */
  readonly stats = { commits: 0, committedUnits: 0 };

  /** `onDeath` hears each time the thread fails or exits unasked (every unit it held was rejected). */
  constructor(
    private readonly options: SqliteWriterOptions,
    private readonly onDeath: (err: Error) => void,
  ) {}

  /** Runs one statement on its own; resolves after the commit that holds it. */
  run(sql: string, params: readonly unknown[]): Promise<StatementResult> {
    return this.send({ kind: 'run', sql, params: [...params] }) as Promise<StatementResult>;
  }

  /**
   * Applies `payload` with the operation exported by `module` (see WriterOperationModule),
   * inside the group; resolves with its answer after the commit that holds it.
   */
  operation<T>(module: URL, payload: unknown, weight: number): Promise<T> {
    return this.send({ kind: 'operation', module: module.href, payload, weight }) as Promise<T>;
  }

  /** Opens an interactive transaction; resolves with its handle once it is open. */
  async begin(): Promise<number> {
    const tx = this.nextTx++;
    await this.send({ kind: 'begin', tx });
    return tx;
  }

  /** Runs a statement inside transaction `tx`; resolves at once with what it did. */
  runIn(tx: number, sql: string, params: readonly unknown[]): Promise<StatementResult> {
    return this.send({ kind: 'tx-run', tx, sql, params: [...params] }) as Promise<StatementResult>;
  }

  /** Ends transaction `tx`; resolves after the commit that holds it. */
  async commit(tx: number): Promise<void> {
    await this.send({ kind: 'commit', tx });
  }

  /** Undoes transaction `tx`. */
  async rollback(tx: number): Promise<void> {
    await this.send({ kind: 'rollback', tx });
  }

  /** Waits for every accepted unit to commit or fail, then stops the thread and its connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.flush();
      const worker = this.worker;
      if (!worker) return;
      const closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
      worker.ref();
      worker.postMessage({ kind: 'close' } satisfies WriterMessage);
      await closed;
    })();
    return this.closing;
  }

  private send(unit: UnitWithoutId): Promise<unknown> {
    if (this.closing) return Promise.reject(new SqliteWriterError('the database is closing', 'SQLITE_BUSY_CLOSING'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.pending.push({ ...unit, id } as WriterUnit);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Posts what this event-loop turn queued as one message. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const units = this.pending;
    this.pending = [];
    let worker: Worker;
    try {
      worker = this.worker ??= this.startWorker();
    } catch (err) {
      for (const unit of units) this.settle(unit.id, (w) => w.reject(err));
      return;
    }
    worker.ref();
    worker.postMessage({ kind: 'units', units } satisfies WriterMessage);
  }

  private startWorker(): Worker {
    const worker: Worker = startTsWorker<WriterReply>(new URL('./sqlite-writer-worker.ts', import.meta.url), this.options, 'sqlite writer', {
      onReply: (reply) => this.onReply(reply),
      onDeath: (err) => this.die(worker, err),
    });
    return worker;
  }

  private settle(id: number, how: (waiter: Waiter) => void): void {
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    this.waiting.delete(id);
    how(waiter);
  }

  private onReply(reply: WriterReply): void {
    if (reply.kind === 'closed') {
      this.resolveClosed?.();
      return;
    }
    if (reply.committed) {
      this.stats.commits++;
      this.stats.committedUnits += reply.outcomes.length;
    }
    for (const o of reply.outcomes) {
      this.settle(o.id, (w) => (o.ok ? w.resolve(o.value) : w.reject(new SqliteWriterError(o.message, o.code))));
    }
    // Idle with nothing in flight: let the process exit without waiting on the thread.
    if (this.waiting.size === 0) this.worker?.unref();
  }

  private die(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.resolveClosed?.();
    const held = [...this.waiting.entries()].filter(([id]) => !this.pending.some((u) => u.id === id));
    if (this.closing && held.length === 0) return;
    for (const [id] of held) this.settle(id, (w) => w.reject(err));
    this.onDeath(err);
  }
}
