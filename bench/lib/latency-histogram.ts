/**
 * A fixed-size, log-scaled latency histogram for the chat fan-out bench.
 *
 * Each load-generator process records every delivery latency into one of these
 * instead of keeping raw samples (5,000 clients x 16 msg/s is 80,000 samples a
 * second); the parent merges the bucket arrays it receives over IPC and reads
 * percentiles from the sum. Buckets grow by 1% from 0.01 ms to about 100 s, so a
 * reported percentile is within 1% of the true sample value; latencies below
 * 0.01 ms land in the first bucket, above 100 s in the last.
 */

const MIN_MS = 0.01;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
/** ln(100 s / 0.01 ms) / ln(1.01), rounded up. */
export const BUCKET_COUNT = Math.ceil(Math.log(100_000 / MIN_MS) / LOG_GROWTH) + 1;

/** The plain-data form sent between processes: non-empty buckets only. */
export interface HistogramSnapshot {
  buckets: Array<[index: number, count: number]>;
  count: number;
  sumMs: number;
  maxMs: number;
}

/** Counts latencies in 1%-wide buckets; cheap enough to call once per delivery. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  /** Records one latency in milliseconds (negative values, from clock skew, count as 0). */
  record(ms: number): void {
    const value = ms > 0 ? ms : 0;
    const index = value <= MIN_MS ? 0 : Math.min(BUCKET_COUNT - 1, Math.ceil(Math.log(value / MIN_MS) / LOG_GROWTH));
    this.counts[index]! += 1;
    this.count += 1;
    this.sumMs += value;
    if (value > this.maxMs) this.maxMs = value;
  }

  /** Adds another process's snapshot into this one. */
  merge(snapshot: HistogramSnapshot): void {
    for (const [index, count] of snapshot.buckets) this.counts[index]! += count;
    this.count += snapshot.count;
    this.sumMs += snapshot.sumMs;
    if (snapshot.maxMs > this.maxMs) this.maxMs = snapshot.maxMs;
  }

  /** The sparse, structured-clone-friendly form of this histogram. */
  snapshot(): HistogramSnapshot {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKET_COUNT; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, sumMs: this.sumMs, maxMs: this.maxMs };
  }

  /** The latency at quantile `q` (0..1) in ms: the upper edge of the bucket holding it, capped at the max seen; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxMs, MIN_MS * GROWTH ** i);
    }
    return this.maxMs;
  }

  /** The mean latency in ms; NaN when empty. */
  mean(): number {
    return this.count === 0 ? Number.NaN : this.sumMs / this.count;
  }
}

/** The clock every bench process shares: epoch milliseconds with sub-millisecond resolution. */
export function preciseNowMs(): number {
  return performance.timeOrigin + performance.now();
}
