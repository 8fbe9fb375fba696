import {
  assertJobName,
  backoffDelay,
  errorMessage,
  FinalJobError,
  JOB_DEFAULTS,
  type JobHandler,
  type JobLog,
  type JobOptions,
  type JobQueue,
} from './types.js';
import { systemJobTimers, type CancelTimer, type JobTimers } from './timers.js';

/** One queued job; `tries` counts attempts already started. */
interface Entry {
  id: string;
  name: string;
  payload: unknown;
  tries: number;
  attempts: number;
  backoffMs: number;
  dedupKey: string | null;
}

/** Everything about one job name: its handler (once registered) and the jobs ready to run. */
interface Lane {
  handler: JobHandler<unknown> | null;
  concurrency: number;
  running: number;
  ready: Entry[];
}

/**
 * The job queue of a single node: jobs live in this process and are lost when it stops,
 * which is acceptable without Redis (one node, development, tests). Retries, back-off,
 * deduplication, per-name concurrency and schedules behave as in the BullMQ queue.
 */
class MemoryJobQueue implements JobQueue {
  readonly kind = 'memory' as const;
  private readonly lanes = new Map<string, Lane>();
  private readonly queued = new Map<string, string>();
  private readonly pendingTimers = new Set<CancelTimer>();
  private readonly schedules = new Map<string, number>();
  private readonly running = new Set<Promise<void>>();
  private nextId = 1;
  private started = false;
  private closed = false;

  constructor(
    private readonly log: JobLog,
    private readonly timers: JobTimers,
  ) {}

  register<T>(name: string, handler: JobHandler<T>, options: { concurrency?: number } = {}): void {
    assertJobName(name);
    const lane = this.lane(name);
    if (lane.handler) throw new Error(`job "${name}" is already registered`);
    lane.handler = handler as JobHandler<unknown>;
    lane.concurrency = Math.max(1, options.concurrency ?? JOB_DEFAULTS.concurrency);
    this.pump(lane);
  }

  async enqueue<T>(name: string, payload: T, options: JobOptions = {}): Promise<string> {
    assertJobName(name);
    if (this.closed) throw new Error('job queue is closed');
    const dedupKey = options.jobId === undefined ? null : `${name}\u0000${options.jobId}`;
    const existing = dedupKey === null ? undefined : this.queued.get(dedupKey);
    if (existing !== undefined) return existing;
    const entry: Entry = {
      id: String(this.nextId++),
      name,
      // A copy, as BullMQ stores one: later changes by the caller do not reach the job.
      payload: structuredClone(payload),
      tries: 0,
      attempts: Math.max(1, options.attempts ?? JOB_DEFAULTS.attempts),
      backoffMs: options.backoffMs ?? JOB_DEFAULTS.backoffMs,
      dedupKey,
    };
    if (dedupKey !== null) this.queued.set(dedupKey, entry.id);
    this.later(options.delayMs ?? 0, entry);
    return entry.id;
  }

  async schedule(name: string, everyMs: number): Promise<void> {
    assertJobName(name);
    if (!(everyMs > 0)) throw new Error('schedule interval must be positive');
    this.schedules.set(name, everyMs);
    if (this.started) this.startSchedule(name, everyMs);
  }

  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    for (const [name, everyMs] of this.schedules) this.startSchedule(name, everyMs);
    for (const lane of this.lanes.values()) this.pump(lane);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const cancel of this.pendingTimers) cancel();
    this.pendingTimers.clear();
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private lane(name: string): Lane {
    let lane = this.lanes.get(name);
    if (!lane) {
      lane = { handler: null, concurrency: JOB_DEFAULTS.concurrency, running: 0, ready: [] };
      this.lanes.set(name, lane);
    }
    return lane;
  }

  private startSchedule(name: string, everyMs: number): void {
    // One pending tick at most: a slow job is not stacked up behind copies of itself.
    const cancel = this.timers.every(everyMs, () => {
      this.enqueue(name, {}, { jobId: `schedule.${name}` }).catch(() => {});
    });
    this.pendingTimers.add(cancel);
  }

  /** Makes `entry` ready after `ms` (at once when 0). */
  private later(ms: number, entry: Entry): void {
    const lane = this.lane(entry.name);
    if (ms <= 0) {
      lane.ready.push(entry);
      this.pump(lane);
      return;
    }
    const cancel = this.timers.after(ms, () => {
      this.pendingTimers.delete(cancel);
      lane.ready.push(entry);
      this.pump(lane);
    });
    this.pendingTimers.add(cancel);
  }

  private pump(lane: Lane): void {
    while (this.started && !this.closed && lane.handler && lane.running < lane.concurrency && lane.ready.length > 0) {
      const entry = lane.ready.shift()!;
      lane.running++;
      const run = this.run(lane.handler, entry).finally(() => {
        lane.running--;
        this.running.delete(run);
        this.pump(lane);
      });
      this.running.add(run);
    }
  }

  private async run(handler: JobHandler<unknown>, entry: Entry): Promise<void> {
    entry.tries++;
    try {
      await handler(entry.payload, { id: entry.id, attempt: entry.tries });
      this.finish(entry);
    } catch (err) {
      const final = err instanceof FinalJobError || entry.tries >= entry.attempts;
      const fields = { job: entry.name, jobId: entry.id, attempt: entry.tries, attempts: entry.attempts, err: errorMessage(err) };
      if (final || this.closed) {
        this.finish(entry);
        this.log.error(fields, final ? 'job failed for good' : 'job failed; queue closed before its retry');
        return;
      }
      const retryInMs = backoffDelay(entry.backoffMs, entry.tries);
      this.log.warn({ ...fields, retryInMs }, 'job failed; will retry');
      this.later(retryInMs, entry);
    }
  }

  private finish(entry: Entry): void {
    if (entry.dedupKey !== null) this.queued.delete(entry.dedupKey);
  }
}

/** An in-process job queue for a single node (no REDIS_URL); `timers` default to Node's own. */
export function createMemoryJobQueue(options: { log: JobLog; timers?: JobTimers }): JobQueue {
  return new MemoryJobQueue(options.log, options.timers ?? systemJobTimers);
}
