/** How a job is retried: `attempts` tries in all, waiting `backoffMs`, then twice that, and so on. */
export interface JobOptions {
  attempts?: number;
  backoffMs?: number;
  delayMs?: number;
  /** Deduplicates: a job with an id already queued is not queued again. */
  jobId?: string;
}

/** Does one job; throwing asks for a retry (if attempts remain), `FinalJobError` forbids it. */
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
 * several run; the same test file drives both.
 */
export interface JobQueue {
  readonly kind: 'memory' | 'bullmq';
  /** Registers the worker for a job name (once per name); call before `start`. */
  register<T>(name: string, handler: JobHandler<T>, options?: { concurrency?: number }): void;
  /** Queues a job; resolves with its id once it is accepted (durably, for BullMQ). */
  enqueue<T>(name: string, payload: T, options?: JobOptions): Promise<string>;
  /** Runs job `name` (payload `{}`) every `everyMs`, once per cluster rather than once per node. */
  schedule(name: string, everyMs: number): Promise<void>;
  start(): Promise<void>;
  /** Stops taking jobs and waits for the running ones. */
  close(): Promise<void>;
}
