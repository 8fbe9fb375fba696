import type { Logger } from 'pino';

/** How a job is retried: `attempts` tries in all, waiting `backoffMs`, then twice that, and so on. */
export interface JobOptions {
  /** Tries in all, the first included; default 1 (no retry). */
  attempts?: number;
  /** Wait before the first retry; each further retry waits twice as long. Default 1000. */
  backoffMs?: number;
  /** Wait before the first try. */
  delayMs?: number;
  /**
   * Deduplicates per job name: while a job with this id is waiting, delayed, retrying or
   * running, queuing it again returns the first job's id instead. Once it has finished
   * (done or failed for good) the id may be queued again.
   */
  jobId?: string;
}

/** Defaults shared by both implementations, so they behave alike. */
export const JOB_DEFAULTS = { attempts: 1, backoffMs: 1000, delayMs: 0, concurrency: 1 } as const;

/** Does one job; throwing asks for a retry (if attempts remain), `FinalJobError` forbids it. `attempt` counts from 1. */
export type JobHandler<T> = (payload: T, info: { id: string; attempt: number }) => Promise<void>;

/** Thrown by a handler when retrying cannot help (a provider's final refusal). */
export class FinalJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FinalJobError';
  }
}

/**
 * Background work that must not be lost and must not slow the request that asked for it
 * (mail, SMS, alert evaluation, retention). In-process on one node, BullMQ on Redis when
 * several run; the same test file drives both. Payloads must be JSON-serialisable.
 */
export interface JobQueue {
  readonly kind: 'memory' | 'bullmq';
  /** Registers the worker for a job name (once per name); call before `start`. */
  register<T>(name: string, handler: JobHandler<T>, options?: { concurrency?: number }): void;
  /** Queues a job; resolves with its id once it is accepted (durably, for BullMQ). Rejects after `close`. */
  enqueue<T>(name: string, payload: T, options?: JobOptions): Promise<string>;
  /** Runs job `name` (payload `{}`) every `everyMs`, once per cluster rather than once per node. */
  schedule(name: string, everyMs: number): Promise<void>;
  /** Starts the workers and schedules; jobs queued earlier wait for it. */
  start(): Promise<void>;
  /** Stops taking jobs and waits for the running ones. Safe to call twice, or without `start`. */
  close(): Promise<void>;
}

/**
 * Job names become BullMQ queue names, which may not contain `:`; both implementations
 * accept the same names so code that runs on one runs on the other. E.g. `mail.send`.
 */
export function assertJobName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(name)) {
    throw new Error(`invalid job name "${name}": use letters, digits, '.', '_' and '-'`);
  }
}

/** The wait before retry number `retry` (1 = first retry): `backoffMs`, then doubling. */
export function backoffDelay(backoffMs: number, retry: number): number {
  return Math.round(backoffMs * 2 ** (retry - 1));
}

/** The pino methods a queue logs with. */
export type JobLog = Pick<Logger, 'warn' | 'error'>;

/** What a queue logs of a failure: the message only, never the payload (it may carry codes or addresses). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
