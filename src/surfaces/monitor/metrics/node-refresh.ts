import { ROW_WIDTH, type EncodedRows } from './sample-rows.js';

/**
 * How often, in receive time, a writer moves an NF's nf_nodes row forward. The exact last
 * sample time is read from the samples index (listNodes); the row itself only has to say
 * "seen lately" for the retention sweep, so one upsert per NF per second instead of one
 * per group keeps a B-tree write (and on PostgreSQL a dead tuple) off most commits.
 */
export const NODE_REFRESH_MS = 1000;

/** Distinct NF names remembered before the memory is dropped (a flood of names cannot grow it without bound). */
const MAX_REMEMBERED = 100_000;

/** First and last receive time of an NF within one group. */
export type NodeTimes = Map<string, { first: number; last: number }>;

/**
 * Which NFs of a group need their nf_nodes row written, per writer (one per connection or
 * process; the upsert keeps the maximum, so writers never undo each other). An NF is due
 * when this writer has not written it yet or last wrote it NODE_REFRESH_MS or more earlier.
 */
export class NodeRefresh {
  private readonly written = new Map<string, number>();

  /** The due NFs of `groups` with their first and last receive times there. */
  due(groups: readonly EncodedRows[]): NodeTimes {
    const due: NodeTimes = new Map();
    for (const rows of groups) {
      for (let r = 0; r < rows.length; r += ROW_WIDTH) {
        const nf = rows[r] as string;
        const at = rows[r + 1] as number;
        const seen = due.get(nf);
        if (seen) {
          if (at > seen.last) seen.last = at;
          if (at < seen.first) seen.first = at;
          continue;
        }
        const written = this.written.get(nf);
        if (written === undefined || at >= written + NODE_REFRESH_MS) due.set(nf, { first: at, last: at });
      }
    }
    return due;
  }

  /** Call once the transaction holding the upserts of `due` has committed (a rolled-back one is retried next group). */
  committed(due: NodeTimes): void {
    if (this.written.size + due.size > MAX_REMEMBERED) this.written.clear();
    for (const [nf, t] of due) this.written.set(nf, t.last);
  }
}
