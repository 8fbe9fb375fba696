import type { App } from '../../../core/app.js';
import { isDatabaseOutage } from '../../../core/db/outage-dialect.js';
import { AppError, isUnavailable } from '../../../core/errors.js';
import { IngestWriter } from './ingest-writer.js';
import { ReadThread } from './read-thread.js';
import {
  deleteNodesSilentSince,
  deleteSamplesBefore,
  firstSampleIdReceivedFrom,
  latestSampleForNf,
  listNodes,
  nodeExists,
  RECEIVE_ORDER_SLACK_MS,
  sampleSeries,
  sampleStatsSince,
  type FieldStats,
} from './repo.js';
import { ROW_WIDTH, type EncodedRows } from './sample-rows.js';
import type { NumericKey } from './tables.js';

/** An NF with no sample for this long is reported stale (3 missed 10-second intervals). */
export const STALE_AFTER_MS = 30_000;

/** Most points a series returns; the step is raised until the range fits. */
export const MAX_SERIES_POINTS = 2000;

/** Most rows one retention DELETE removes, so it never holds the write lock for long. */
export const RETENTION_BATCH_ROWS = 10_000;

const writers = new WeakMap<App, IngestWriter>();
const readers = new WeakMap<App, ReadThread | null>();

/** The app's one sample writer (created on first use). */
export function ingestWriterFor(app: App): IngestWriter {
  let writer = writers.get(app);
  if (!writer) {
    writer = new IngestWriter(app);
    writers.set(app, writer);
  }
  return writer;
}

/**
 * The app's metrics read thread (started on first use) for queries over a whole window of
 * samples; null on PostgreSQL (the database server does that work), on an in-memory
 * SQLite, or once the thread has failed to start or died.
 */
export function metricsReadThreadFor(app: App): ReadThread | null {
  const existing = readers.get(app);
  if (existing !== undefined) return existing?.usable ? existing : null;
  const native = app.sqliteNative;
  let reader: ReadThread | null = null;
  if (native && native.name !== ':memory:' && !native.memory) {
    try {
      reader = new ReadThread({ file: native.name, busyTimeoutMs: 5000 });
    } catch (err) {
      app.log.error({ err }, 'metrics read thread did not start; window queries run in-process');
    }
  }
  readers.set(app, reader);
  return reader;
}

/** Stops the app's metrics threads after the work they hold (the writer commits what it accepted). */
export async function closeMetricsThreads(app: App): Promise<void> {
  await ingestWriterFor(app).close();
  await readers.get(app)?.close();
}

/**
 * Stores encoded samples (rules.ts encodes them, stamped with the server's receive time);
 * resolves only after the transaction holding them has committed. A database outage
 * becomes AppError 'unavailable', any other storage failure AppError 'internal'.
 */
export async function ingestRows(app: App, rows: EncodedRows): Promise<void> {
  try {
    await ingestWriterFor(app).write(rows);
  } catch (err) {
    if (isUnavailable(err)) throw err;
    if (isDatabaseOutage(err)) throw new AppError('unavailable', 'database unavailable', { cause: err });
    app.log.error({ err, samples: rows.length / ROW_WIDTH }, 'metrics commit failed');
    throw new AppError('internal', 'storage failure', { cause: err });
  }
}

/** The newest sample of an NF, values as sent, in the 15-key order; 404 AppError when it has none. */
export async function latestSample(app: App, nf: string): Promise<Record<string, unknown>> {
  const values = await latestSampleForNf(app.db, nf);
  if (!values) throw new AppError('not_found', `No data for s_nf: ${nf}`);
  return values;
}

/** Averages, extremes and last values of every measurement over the last `windowMs`. */
export async function nfStats(
  app: App,
  nf: string,
  windowMs: number,
): Promise<{ count: number; fields: Record<NumericKey, FieldStats> }> {
  if (!(await nodeExists(app.db, nf))) throw new AppError('not_found', `No data for s_nf: ${nf}`);
  return sampleStatsSince(app.db, nf, app.clock.now() - windowMs);
}

/** The step actually used for a range: the one asked for, raised so at most MAX_SERIES_POINTS buckets cover [from, to]. */
export function effectiveStepMs(from: number, to: number, askedMs: number | null): number {
  const smallest = Math.max(1000, Math.ceil((to - from + 1) / MAX_SERIES_POINTS));
  return Math.max(askedMs ?? smallest, smallest);
}

/** Chart points `{t, avg, min, max}` of one field, t as the ISO start of each bucket. */
export async function nfSeries(
  app: App,
  q: { nf: string; field: NumericKey; from: number; to: number; stepMs: number | null },
): Promise<Array<{ t: string; avg: number; min: number; max: number }>> {
  if (!(await nodeExists(app.db, q.nf))) throw new AppError('not_found', `No data for s_nf: ${q.nf}`);
  const stepMs = effectiveStepMs(q.from, q.to, q.stepMs);
  const points = await sampleSeries(app.db, app.dialect, { nf: q.nf, field: q.field, from: q.from, to: q.to, stepMs });
  return points.map((p) => ({ t: new Date(q.from + p.bucket * stepMs).toISOString(), avg: p.avg, min: p.min, max: p.max }));
}

/** Every NF seen, with its last sample time and whether it has gone quiet. */
export async function nfNodes(
  app: App,
): Promise<Array<{ s_nf: string; first_seen_at: string; last_received_at: string; stale: boolean }>> {
  const now = app.clock.now();
  return (await listNodes(app.db)).map((n) => ({
    s_nf: n.s_nf,
    first_seen_at: new Date(n.first_seen_at).toISOString(),
    last_received_at: new Date(n.last_received_at).toISOString(),
    stale: now - n.last_received_at > STALE_AFTER_MS,
  }));
}

/**
 * Deletes samples older than METRICS_RETENTION in batches of RETENTION_BATCH_ROWS, each
 * its own short statement, then forgets NFs with nothing left. Returns rows deleted.
 * Runs as the once-per-cluster job `monitor.retention` (metrics/index.ts); tests call it directly.
 */
export async function deleteExpiredSamples(app: App, maxBatches = 10_000): Promise<number> {
  const cutoff = app.clock.now() - app.config.monitor.metricsRetentionS * 1000;
  const belowId = app.dialect === 'sqlite' ? await firstSampleIdReceivedFrom(app.db, cutoff + RECEIVE_ORDER_SLACK_MS) : undefined;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const deleted = await deleteSamplesBefore(app.db, cutoff, RETENTION_BATCH_ROWS, belowId);
    total += deleted;
    if (deleted < RETENTION_BATCH_ROWS) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  await deleteNodesSilentSince(app.db, cutoff);
  return total;
}
