import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeRedisConnection, openRedisConnection } from '../state/redis-connection.js';
import { guardRedis, redisUnavailable } from '../state/redis-errors.js';
import {
  assertJobName,
  errorMessage,
  FinalJobError,
  JOB_DEFAULTS,
  type JobHandler,
  type JobLog,
  type JobOptions,
  type JobQueue,
} from './types.js';

/** How many finished jobs Redis keeps for inspection: bounded by count and age. */
const KEEP_COMPLETED = { count: 1000, age: 24 * 3600 };
const KEEP_FAILED = { count: 5000, age: 7 * 24 * 3600 };

/**
 * How fast a killed node's work comes back: its job locks lapse after LOCK_MS (a live
 * worker renews them every LOCK_MS / 2) and every STALLED_CHECK_MS a live worker returns
 * lapsed jobs to the queue. That also covers a schedule: BullMQ adds a scheduler's next
 * tick when a worker takes the current one, so a node killed between the two would stall
 * the schedule until its job comes back, within LOCK_MS + STALLED_CHECK_MS (< 30 s).
 */
const LOCK_MS = 10_000;
const STALLED_CHECK_MS = 10_000;

/** Where the queue lives: one Redis, and a key prefix that separates deployments and test files. */
export interface BullJobQueueOptions {
  url: string;
  /** BullMQ key prefix, e.g. `stoa:jobs`; keys become `<prefix>:<job name>:...`. */
  prefix: string;
  log: JobLog;
}

/**
 * The job queue on Redis (BullMQ), for several nodes: a job queued on one node may run on
 * any node that registered its name, survives restarts, and a schedule fires once per
 * tick across the cluster (a BullMQ job scheduler keyed by the job name).
 *
 * Layout: one BullMQ queue per job name (queue name = job name), so each name gets its own
 * Worker and therefore its own concurrency, and one slow kind of job never blocks another.
 * `jobId` maps to BullMQ deduplication (not to its custom job id, which would block the
 * id for as long as the finished job is kept).
 */
class BullJobQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  /** Producer commands: fail after a few retries, so a request never hangs on a dead Redis. */
  private readonly producer: Redis;
  /** Worker commands: BullMQ requires `maxRetriesPerRequest: null` for workers. */
  private readonly consumer: Redis;
  private readonly queues = new Map<string, Queue>();
  private readonly handlers = new Map<string, { handler: JobHandler<unknown>; concurrency: number }>();
  private readonly workers: Worker[] = [];
  private started = false;
  private closing: Promise<void> | null = null;
  /** Set once the producer first connected: from then on "not ready" means an outage. */
  private producerConnected = false;

  constructor(private readonly options: BullJobQueueOptions) {
    this.producer = openRedisConnection(options.url, 'jobs-producer', options.log, 2);
    this.producer.once('ready', () => (this.producerConnected = true));
    this.consumer = openRedisConnection(options.url, 'jobs-worker', options.log, null);
  }

  register<T>(name: string, handler: JobHandler<T>, options: { concurrency?: number } = {}): void {
    assertJobName(name);
    if (this.handlers.has(name)) throw new Error(`job "${name}" is already registered`);
    const entry = { handler: handler as JobHandler<unknown>, concurrency: Math.max(1, options.concurrency ?? JOB_DEFAULTS.concurrency) };
    this.handlers.set(name, entry);
    if (this.started && !this.closing) this.startWorker(name, entry.handler, entry.concurrency);
  }

  async enqueue<T>(name: string, payload: T, options: JobOptions = {}): Promise<string> {
    const opts: JobsOptions = {
      attempts: Math.max(1, options.attempts ?? JOB_DEFAULTS.attempts),
      backoff: { type: 'exponential', delay: options.backoffMs ?? JOB_DEFAULTS.backoffMs },
      delay: options.delayMs ?? JOB_DEFAULTS.delayMs,
    };
    if (options.jobId !== undefined) opts.deduplication = { id: options.jobId };
    // Closed first: after close the producer connection is gone too, which is not an outage.
    if (this.closing) throw new Error('job queue is closed');
    // During an outage a BullMQ Queue made now would wait for Redis forever: fail at once instead.
    if (this.producerConnected && this.producer.status !== 'ready') {
      throw redisUnavailable(new Error(`job producer ${this.producer.status}`));
    }
    // Redis down: AppError('unavailable'), so the request that queued the job answers 503.
    const job = await guardRedis(this.queue(name).add(name, payload, opts));
    return job.id!;
  }

  async schedule(name: string, everyMs: number): Promise<void> {
    if (!(everyMs > 0)) throw new Error('schedule interval must be positive');
    // Idempotent: every node upserts the same scheduler id, Redis holds one.
    await guardRedis(this.queue(name).upsertJobScheduler(name, { every: everyMs }, { name, data: {} }));
  }

  async start(): Promise<void> {
    if (this.started || this.closing) return;
    this.started = true;
    for (const [name, { handler, concurrency }] of this.handlers) this.startWorker(name, handler, concurrency);
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Non-forced: each worker stops fetching and waits for its active jobs.
      await Promise.allSettled(this.workers.map((worker) => worker.close()));
      await Promise.allSettled([...this.queues.values()].map((queue) => queue.close()));
      await Promise.all([closeRedisConnection(this.producer), closeRedisConnection(this.consumer)]);
    })();
    return this.closing;
  }

  private queue(name: string): Queue {
    assertJobName(name);
    if (this.closing) throw new Error('job queue is closed');
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, {
        connection: this.producer,
        prefix: this.options.prefix,
        defaultJobOptions: { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
      });
      queue.on('error', (err) => this.options.log.warn({ job: name, err: err.message }, 'job queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private startWorker(name: string, handler: JobHandler<unknown>, concurrency: number): void {
    const worker = new Worker(
      name,
      async (job: Job) => {
        try {
          await handler(job.data, { id: job.id!, attempt: job.attemptsMade + 1 });
        } catch (err) {
          if (err instanceof FinalJobError) throw new UnrecoverableError(err.message);
          throw err;
        }
      },
      {
        connection: this.consumer,
        prefix: this.options.prefix,
        concurrency,
        lockDuration: LOCK_MS,
        stalledInterval: STALLED_CHECK_MS,
        removeOnComplete: KEEP_COMPLETED,
        removeOnFail: KEEP_FAILED,
      },
    );
    worker.on('failed', (job, err) => this.logFailure(name, job, err));
    worker.on('error', (err) => this.options.log.warn({ job: name, err: err.message }, 'job worker error'));
    this.workers.push(worker);
  }

  /** BullMQ emits `failed` for every failed attempt; only the last one is an error. */
  private logFailure(name: string, job: Job | undefined, err: Error): void {
    const attempts = job?.opts.attempts ?? 1;
    const attempt = job?.attemptsMade ?? 0;
    const fields = { job: name, jobId: job?.id, attempt, attempts, err: errorMessage(err) };
    if (err instanceof UnrecoverableError || attempt >= attempts) {
      this.options.log.error(fields, 'job failed for good');
    } else {
      // The back-off BullMQ computed for this retry (it sets `delay` before emitting `failed`).
      this.options.log.warn({ ...fields, retryInMs: job?.delay }, 'job failed; will retry');
    }
  }
}
/** A job queue on Redis through BullMQ (REDIS_URL set): durable, shared by every node with the same prefix. */
export function createBullJobQueue(options: BullJobQueueOptions): JobQueue {
  return new BullJobQueue(options);
}
