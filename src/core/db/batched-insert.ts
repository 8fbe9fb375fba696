import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';

interface Waiting<Row> {
  row: Row;
  resolve(id: number): void;
  reject(err: unknown): void;
}

interface Queue<Row> {
  waiting: Waiting<Row>[];
  inFlight: number;
}

/**
 * Inserts into one table, many concurrent rows per statement: a row offered while an earlier
 * insert is on its way (at most `maxInFlight` at once; one by default, which measured best on
 * PostgreSQL: more statements in flight only split the same commits) waits for it to finish
 * and goes with every row that waited beside it, in one multi-row INSERT (one round trip, one commit, one fsync). With
 * nothing on its way a row goes at once, alone. Each caller gets its row's id once the
 * statement that holds it has committed. When a statement of several rows fails, each of its
 * rows is tried alone, so only the rows the database refuses fail (an outage fails them all).
 */
export class BatchedInsert<Row> {
  private readonly queues = new WeakMap<Kysely<any>, Queue<Row>>();

  /**
   * `insertMany` inserts its rows in one statement and returns their ids (in any order:
   * ids follow the rows' order in the statement, so they are sorted before being handed out).
   */
  constructor(
    private readonly insertMany: (db: Kysely<any>, rows: Row[]) => Promise<number[]>,
    private readonly options: { maxRows: number; maxInFlight: number } = { maxRows: 500, maxInFlight: 1 },
  ) {}

  /** Inserts `row`; resolves with its id once committed. */
  insert(db: Kysely<any>, row: Row): Promise<number> {
    let queue = this.queues.get(db);
    if (!queue) this.queues.set(db, (queue = { waiting: [], inFlight: 0 }));
    const q = queue;
    return new Promise<number>((resolve, reject) => {
      q.waiting.push({ row, resolve, reject });
      if (q.inFlight < this.options.maxInFlight) this.flush(db, q);
    });
  }

  private flush(db: Kysely<any>, queue: Queue<Row>): void {
    const batch = queue.waiting.splice(0, this.options.maxRows);
    if (!batch.length) return;
    queue.inFlight++;
    void this.write(db, batch).finally(() => {
      queue.inFlight--;
      this.flush(db, queue);
    });
  }

  private async write(db: Kysely<any>, batch: Waiting<Row>[]): Promise<void> {
    try {
      const ids = await this.insertMany(db, batch.map((w) => w.row));
      if (ids.length !== batch.length) throw new Error(`insert returned ${ids.length} ids for ${batch.length} rows`);
      ids.sort((a, b) => a - b);
      batch.forEach((w, i) => w.resolve(ids[i]!));
    } catch (err) {
      // An outage fails every row alike; other errors may belong to one row only.
      const outage = err instanceof AppError && err.code === 'unavailable';
      if (batch.length === 1 || outage) return batch.forEach((w) => w.reject(err));
      await Promise.all(batch.map((w) => this.write(db, [w])));
    }
  }
}
