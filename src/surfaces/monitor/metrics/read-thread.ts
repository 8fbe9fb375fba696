import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../../lib/ts-worker.js';

/** What the read thread is started with (its workerData). */
export interface ReadThreadOptions {
  /** The SQLite file (already migrated, in WAL mode). */
  file: string;
  busyTimeoutMs: number;
}

/** Main thread -> read thread. */
export type ReadRequest = { kind: 'query'; id: number; sql: string; parameters: readonly unknown[] } | { kind: 'close' };

/** Read thread -> main thread. */
export type ReadReply =
  | { kind: 'rows'; id: number; rows: unknown[] }
  | { kind: 'failed'; id: number; message: string }
  | { kind: 'closed' };

interface Waiter {
  resolve(rows: unknown[]): void;
  reject(err: unknown): void;
}

/**
 * A read-only SQLite connection on its own thread, for the few queries that read a whole
 * window of samples (the alert evaluation's averages over every NF): on the main thread
 * such a query blocks every socket for as long as it runs (about a third of a microsecond
 * per sample, so seconds at a high ingest rate). WAL mode lets it read beside the writer.
 * The thread starts on the first query and is not restarted after it dies: callers fall
 * back to the main connection when `usable` is false.
 */
export class ReadThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private served = 0;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private resolveClosed!: () => void;
  private readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(options: ReadThreadOptions) {
    this.worker = startTsWorker(new URL('./read-thread-worker.ts', import.meta.url), options, 'metrics read', {
      onReply: (reply: ReadReply) => this.onReply(reply),
      onDeath: (err) => this.die(err),
    });
  }

  /** False once the thread has died or is closing. */
  get usable(): boolean {
    return this.failure === null && this.closing === null;
  }

  /** How many queries the thread has answered. */
  get queriesServed(): number {
    return this.served;
  }

  /** The rows of one query, run on the thread's connection. */
  all<Row>(sql: string, parameters: readonly unknown[]): Promise<Row[]> {
    if (!this.usable) return Promise.reject(this.failure ?? new Error('metrics read thread is closing'));
    const id = this.nextId++;
    return new Promise<Row[]>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (rows: unknown[]) => void, reject });
      this.worker.ref();
      this.worker.postMessage({ kind: 'query', id, sql, parameters } satisfies ReadRequest);
    });
  }

  /** Lets queries in flight finish, then closes the connection and the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.failure) return;
      this.worker.ref();
      this.worker.postMessage({ kind: 'close' } satisfies ReadRequest);
      await this.closed;
    })();
    return this.closing;
  }

  private onReply(reply: ReadReply): void {
    if (reply.kind === 'closed') return this.resolveClosed();
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    this.served++;
    if (reply.kind === 'rows') waiter?.resolve(reply.rows);
    else waiter?.reject(new Error(reply.message));
    if (this.waiting.size === 0) this.worker.unref();
  }

  private die(err: Error): void {
    this.resolveClosed();
    if (this.failure) return;
    this.failure = err;
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }
}
