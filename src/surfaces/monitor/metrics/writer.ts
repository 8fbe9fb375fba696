import { ROW_WIDTH, type EncodedRows } from './sample-rows.js';

/** Writes one group (the encoded rows of several requests) in one transaction; rejects when the commit fails. */
export type CommitGroup = (groups: EncodedRows[]) => Promise<void>;

interface Waiting {
  rows: EncodedRows;
  count: number;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Group commit: samples submitted while a commit is in flight (or within `maxDelayMs`)
 * are written together in one transaction, and every waiting request is answered only
 * after that commit, so one fsync acknowledges many samples. A failed commit rejects
 * every request in the group: none of them was acknowledged.
 */
export class SampleWriter {
  private queue: Waiting[] = [];
  private queuedRows = 0;
  private readonly flushing = new Set<Promise<void>>();
  private scheduled = false;

  /**
   * `maxRows` caps one group; `maxInFlight` is how many groups may be committing at once
   * (1 for a single connection; more where commits run on several connections in parallel).
   */
  constructor(
    private readonly commit: CommitGroup,
    private readonly options: { maxRows: number; maxDelayMs: number; maxInFlight: number } = { maxRows: 5000, maxDelayMs: 0, maxInFlight: 1 },
  ) {}

  /** Resolves once `rows` are committed, together with whatever else arrived meanwhile. */
  write(rows: EncodedRows): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const count = rows.length / ROW_WIDTH;
      this.queue.push({ rows, count, resolve, reject });
      this.queuedRows += count;
      if (this.queuedRows >= this.options.maxRows) this.kick();
      else this.schedule();
    });
  }

  /** Waits until everything submitted so far is committed or failed. */
  async drain(): Promise<void> {
    for (let rounds = 0; rounds < 10_000 && (this.flushing.size > 0 || this.queue.length > 0); rounds++) {
      this.kick();
      await Promise.all(this.flushing);
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing.size >= this.options.maxInFlight) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.kick();
    };
    if (this.options.maxDelayMs > 0) setTimeout(run, this.options.maxDelayMs);
    else setImmediate(run);
  }

  /** Starts flushes now while fewer than maxInFlight run (each starts the next when it ends). */
  private kick(): void {
    while (this.flushing.size < this.options.maxInFlight && this.queue.length > 0) {
      const flush: Promise<void> = this.flushOnce().finally(() => {
        this.flushing.delete(flush);
        if (this.queue.length > 0) this.schedule();
      });
      this.flushing.add(flush);
    }
  }

  private async flushOnce(): Promise<void> {
    const group: Waiting[] = [];
    let rows = 0;
    while (this.queue.length > 0 && (rows === 0 || rows + this.queue[0]!.count <= this.options.maxRows)) {
      const next = this.queue.shift()!;
      group.push(next);
      rows += next.count;
    }
    this.queuedRows -= rows;
    try {
      await this.commit(group.map((w) => w.rows));
    } catch (err) {
      for (const w of group) w.reject(err);
      return;
    }
    for (const w of group) w.resolve();
  }
}
