import type { Worker } from 'node:worker_threads';
import { startMetricsWorker } from './metrics-worker.js';
import type { EncodedRows } from './sample-rows.js';

/** What the writer thread is started with (its workerData). */
export interface WriterThreadOptions {
  /** The SQLite file (already migrated, in WAL mode). */
  file: string;
  busyTimeoutMs: number;
  /** Most rows one transaction takes from the queue (bounds how long it holds the write lock). */
  maxGroupRows: number;
  /**
   * The thread's connection checkpoints the write-ahead log once it holds this many pages
   * (SQLite's wal_autocheckpoint), and every `checkpointIntervalMs` whatever its size, so
   * checkpoints (copying the log into the database file, with an fsync) run here rather
   * than on the main thread, whose connection stops checkpointing while the thread lives.
   */
  checkpointPages: number;
  checkpointIntervalMs: number;
}

/** Main thread -> writer thread. */
export type WriterRequest = { kind: 'write'; id: number; groups: EncodedRows[] } | { kind: 'close' };

/** Writer thread -> main thread. */
export type WriterReply =
  | { kind: 'committed'; ids: number[] }
  | { kind: 'failed'; ids: number[]; message: string; code?: string }
  | { kind: 'closed' };

interface Waiter {
  resolve(): void;
  reject(err: unknown): void;
}

/** A failed commit on the writer thread, with SQLite's error code when there was one. */
export class WriterThreadError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'WriterThreadError';
  }
}

/**
 * The main thread's handle on the metrics writer thread. SQLite with synchronous=FULL
 * spends most of a small group's commit in inserts and fsync; on the main thread that
 * time blocks every socket. Here the main thread only encodes rows and posts them (one
 * message per event-loop turn), the thread commits them on its own connection (joining
 * whatever is queued behind into one group), and each `write` resolves after the commit
 * that holds its rows, so a 200 still means "durable".
 */
export class WriterThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiter[]>();
  private nextId = 1;
  private pendingGroups: EncodedRows[] = [];
  private pendingWaiters: Waiter[] = [];
  private flushScheduled = false;
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;
  private resolveClosed!: () => void;
  private readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  /** `onDeath` hears once when the thread fails or exits unasked (every write it held was rejected). */
  constructor(
    options: WriterThreadOptions,
    private readonly onDeath: (err: Error) => void,
  ) {
    this.worker = startMetricsWorker(new URL('./writer-thread-worker.ts', import.meta.url), options, 'metrics writer', {
      onReply: (reply: WriterReply) => this.onReply(reply),
      onDeath: (err) => this.die(err),
    });
  }

  /** False once the thread has died or is closing: take another path. */
  get usable(): boolean {
    return this.failure === null && this.closing === null;
  }

  /** Resolves once `rows` are committed (with whatever else was queued), rejects when that commit failed. */
  write(rows: EncodedRows): Promise<void> {
    if (!this.usable) return Promise.reject(this.failure ?? new Error('metrics writer thread is closing'));
    return new Promise<void>((resolve, reject) => {
      this.pendingGroups.push(rows);
      this.pendingWaiters.push({ resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Waits for every accepted write to commit or fail, then stops the thread and its connection. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        this.flush();
        if (this.failure) return;
        this.worker.ref();
        this.worker.postMessage({ kind: 'close' } satisfies WriterRequest);
        await this.closed;
      })();
    }
    return this.closing;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pendingWaiters.length === 0 || this.failure) return;
    const id = this.nextId++;
    this.waiting.set(id, this.pendingWaiters);
    const groups = this.pendingGroups;
    this.pendingGroups = [];
    this.pendingWaiters = [];
    this.worker.ref();
    this.worker.postMessage({ kind: 'write', id, groups } satisfies WriterRequest);
  }

  private onReply(reply: WriterReply): void {
    if (reply.kind === 'closed') {
      this.resolveClosed();
      return;
    }
    const err = reply.kind === 'failed' ? new WriterThreadError(reply.message, reply.code) : null;
    for (const id of reply.ids) {
      const waiters = this.waiting.get(id) ?? [];
      this.waiting.delete(id);
      for (const w of waiters) err ? w.reject(err) : w.resolve();
    }
    // Idle with nothing in flight: let the process exit without waiting on the thread.
    if (this.waiting.size === 0 && this.pendingWaiters.length === 0) this.worker.unref();
  }

  private die(err: Error): void {
    this.resolveClosed();
    if (this.failure || (this.closing && this.waiting.size === 0 && this.pendingWaiters.length === 0)) return;
    this.failure = err;
    for (const waiters of [...this.waiting.values(), this.pendingWaiters]) for (const w of waiters) w.reject(err);
    this.waiting.clear();
    this.pendingWaiters = [];
    this.pendingGroups = [];
    this.onDeath(err);
  }
}
