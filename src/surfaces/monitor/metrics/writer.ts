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
  private flushing: Promise<void> | null = null;
  private scheduled = false;

  constructor(
    private readonly commit: CommitGroup,
    private readonly options: { maxRows: number; maxDelayMs: number } = { maxRows: 5000, maxDelayMs: 0 },
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
    for (let rounds = 0; rounds < 10_000 && (this.flushing || this.queue.length > 0); rounds++) {
      if (this.flushing) await this.flushing;
      else this.kick();
    }
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    const run = () => {
      this.scheduled = false;
      this.kick();
    };
    if (this.options.maxDelayMs > 0) setTimeout(run, this.options.maxDelayMs);
    else setImmediate(run);
  }

  /** Starts a flush now unless one is running (that one starts the next when it ends). */
  private kick(): void {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.schedule();
    });
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
