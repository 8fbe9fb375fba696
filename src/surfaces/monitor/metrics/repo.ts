import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { SqliteNative } from '../../../core/db/database.js';
import type { DialectName, Executor } from '../../../core/db/schema.js';
import type { SampleInput } from './rules.js';
import { NUMERIC_KEYS, type MetricsTables, type NfSamplesTable, type NumericKey } from './tables.js';

/** Rows per INSERT statement: 17 parameters each stays far below both dialects' parameter caps. */
const ROWS_PER_STATEMENT = 500;

/** A sample with the time the server received it. */
export interface ReceivedSample {
  sample: SampleInput;
  receivedAt: number;
}

const SAMPLE_COLUMNS = ['s_nf', 'received_at', 'dt_infotime', 'raw', ...NUMERIC_KEYS];
const insertSqlCache = new Map<string, string>();

/**
 * The multi-row INSERT text for `count` samples, built once per (dialect, count): the hot
 * path skips the query builder, whose compile time dominates for thousands of parameters.
 */
function insertSql(dialect: DialectName, count: number): string {
  const cacheKey = `${dialect}:${count}`;
  let text = insertSqlCache.get(cacheKey);
  if (!text) {
    const width = SAMPLE_COLUMNS.length;
    const tuples = Array.from({ length: count }, (_, r) => {
      const marks = Array.from({ length: width }, (_, c) => (dialect === 'sqlite' ? '?' : `$${r * width + c + 1}`));
      return `(${marks.join(', ')})`;
    });
    text = `insert into nf_samples (${SAMPLE_COLUMNS.join(', ')}) values ${tuples.join(', ')}`;
    if (insertSqlCache.size < 1000) insertSqlCache.set(cacheKey, text);
  }
  return text;
}

function metrics(db: Executor): Kysely<MetricsTables> {
  return db.withTables<MetricsTables>() as unknown as Kysely<MetricsTables>;
}

/**
 * Inserts the samples with multi-row INSERTs and moves each NF's last-sample time forward
 * (one upsert per NF). Run it inside a transaction so all of it commits or none does.
 */
export async function insertSamples(db: Executor, dialect: DialectName, rows: readonly ReceivedSample[]): Promise<void> {
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + ROWS_PER_STATEMENT);
    const params: unknown[] = [];
    for (const { sample, receivedAt } of chunk) {
      params.push(sample.s_nf, receivedAt, sample.dt_infotime, JSON.stringify(sample.values));
      for (const key of NUMERIC_KEYS) params.push(sample.numbers[key]);
    }
    await db.executeQuery(CompiledQuery.raw(insertSql(dialect, chunk.length), params));
  }
  const nodes = new Map<string, { first: number; last: number }>();
  for (const { sample, receivedAt } of rows) {
    const seen = nodes.get(sample.s_nf);
    if (!seen) nodes.set(sample.s_nf, { first: receivedAt, last: receivedAt });
    else seen.last = Math.max(seen.last, receivedAt);
  }
  const greatest = dialect === 'sqlite' ? sql.raw('max') : sql.raw('greatest');
  const nodeRows = [...nodes].map(([s_nf, t]) => ({ s_nf, first_seen_at: t.first, last_received_at: t.last }));
  for (let start = 0; start < nodeRows.length; start += ROWS_PER_STATEMENT) {
    await metrics(db)
      .insertInto('nf_nodes')
      .values(nodeRows.slice(start, start + ROWS_PER_STATEMENT))
      .onConflict((oc) =>
        oc.column('s_nf').doUpdateSet({
          last_received_at: sql<number>`${greatest}(nf_nodes.last_received_at, excluded.last_received_at)`,
        }),
      )
      .execute();
  }
}

/** One connection's cached statements for the SQLite fast path, and the transaction that uses them. */
interface NativeSampleWriter {
  write(rows: readonly ReceivedSample[]): void;
}

/** Per native connection (so a closed or second database never shares statements); no other module state. */
const nativeWriters = new WeakMap<SqliteNative, NativeSampleWriter>();

function nativeWriterFor(native: SqliteNative): NativeSampleWriter {
  let writer = nativeWriters.get(native);
  if (writer) return writer;
  const marks = SAMPLE_COLUMNS.map(() => '?').join(', ');
  const insertRow = native.prepare(`insert into nf_samples (${SAMPLE_COLUMNS.join(', ')}) values (${marks})`);
  const upsertNode = native.prepare(
    'insert into nf_nodes (s_nf, first_seen_at, last_received_at) values (?, ?, ?) ' +
      'on conflict (s_nf) do update set last_received_at = max(nf_nodes.last_received_at, excluded.last_received_at)',
  );
  const params: unknown[] = new Array(SAMPLE_COLUMNS.length);
  const transaction = native.transaction((rows: readonly ReceivedSample[]) => {
    const nodes = new Map<string, { first: number; last: number }>();
    for (const { sample, receivedAt } of rows) {
      params[0] = sample.s_nf;
      params[1] = receivedAt;
      params[2] = sample.dt_infotime;
      params[3] = JSON.stringify(sample.values);
      for (let k = 0; k < NUMERIC_KEYS.length; k++) params[4 + k] = sample.numbers[NUMERIC_KEYS[k]!];
      insertRow.run(params);
      const seen = nodes.get(sample.s_nf);
      if (!seen) nodes.set(sample.s_nf, { first: receivedAt, last: receivedAt });
      else if (receivedAt > seen.last) seen.last = receivedAt;
    }
    for (const [nf, t] of nodes) upsertNode.run(nf, t.first, t.last);
  });
  writer = { write: (rows) => transaction.immediate(rows) };
  nativeWriters.set(native, writer);
  return writer;
}

/**
 * SQLite fast path of insertSamples: cached single-row prepared statements in one
 * better-sqlite3 transaction (Kysely would prepare a new multi-row statement per call).
 * Runs synchronously, so nothing else can interleave; returns false without writing when
 * the connection is already inside a transaction (a Kysely transaction awaiting between
 * statements), so samples never join, or commit, somebody else's transaction; the caller
 * then takes the Kysely path, which queues behind that transaction.
 */
export function insertSamplesNative(native: SqliteNative, rows: readonly ReceivedSample[]): boolean {
  if (native.inTransaction) return false;
  nativeWriterFor(native).write(rows);
  return true;
}

/** The values of the newest sample for an NF (by receive time), exactly as sent; null when it has none. */
export async function latestSampleForNf(db: Executor, nf: string): Promise<Record<string, unknown> | null> {
  const row = await metrics(db)
    .selectFrom('nf_samples')
    .select('raw')
    .where('s_nf', '=', nf)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? (JSON.parse(row.raw) as Record<string, unknown>) : null;
}

/** Average, minimum, maximum and newest counted value of one field. */
export interface FieldStats {
  avg: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
}

/**
 * Aggregates every measurement of one NF received at or after `since`, in one SQL
 * statement over the typed columns; `last` is the newest value that parsed as a number.
 */
export async function sampleStatsSince(
  db: Executor,
  nf: string,
  since: number,
): Promise<{ count: number; fields: Record<NumericKey, FieldStats> }> {
  const inWindow = sql`s_nf = ${nf} and received_at >= ${since}`;
  const parts = NUMERIC_KEYS.flatMap((key) => {
    const col = sql.ref(key);
    return [
      sql`avg(${col})`.as(`${key}__avg`),
      sql`min(${col})`.as(`${key}__min`),
      sql`max(${col})`.as(`${key}__max`),
      sql`(select ${col} from nf_samples where ${inWindow} and ${col} is not null order by received_at desc, id desc limit 1)`.as(
        `${key}__last`,
      ),
    ];
  });
  const result = await sql<Record<string, number | string | null>>`select count(*) as count, ${sql.join(parts)} from nf_samples where ${inWindow}`.execute(
    db,
  );
  const row = result.rows[0] ?? {};
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const fields = {} as Record<NumericKey, FieldStats>;
  for (const key of NUMERIC_KEYS) {
    fields[key] = { avg: num(row[`${key}__avg`]), min: num(row[`${key}__min`]), max: num(row[`${key}__max`]), last: num(row[`${key}__last`]) };
  }
  return { count: Number(row.count ?? 0), fields };
}

/** One chart point: the bucket start and the field's aggregates over it. */
export interface SeriesPoint {
  bucket: number;
  avg: number;
  min: number;
  max: number;
}

/**
 * Downsamples one field of one NF over [from, to] into buckets of `stepMs` with
 * GROUP BY in SQL; buckets without a counted value are left out.
 */
export async function sampleSeries(
  db: Executor,
  dialect: DialectName,
  q: { nf: string; field: NumericKey; from: number; to: number; stepMs: number },
): Promise<SeriesPoint[]> {
  const col = sql.ref(q.field);
  const bucket =
    dialect === 'sqlite'
      ? sql<number>`cast((received_at - ${q.from}) / ${q.stepMs} as integer)`
      : sql<number>`((received_at - ${q.from}::bigint) / ${q.stepMs}::bigint)`;
  const result = await sql<{ bucket: number | string; avg: number; min: number; max: number }>`
    select ${bucket} as bucket, avg(${col}) as avg, min(${col}) as min, max(${col}) as max
    from nf_samples
    where s_nf = ${q.nf} and received_at >= ${q.from} and received_at <= ${q.to} and ${col} is not null
    group by 1 order by 1`.execute(db);
  return result.rows.map((r) => ({ bucket: Number(r.bucket), avg: Number(r.avg), min: Number(r.min), max: Number(r.max) }));
}

/** True when the NF has ever sent a sample (still within retention). */
export async function nodeExists(db: Executor, nf: string): Promise<boolean> {
  const row = await metrics(db).selectFrom('nf_nodes').select('s_nf').where('s_nf', '=', nf).executeTakeFirst();
  return row !== undefined;
}

/** Every NF seen, by name, with its first and last sample times. */
export async function listNodes(db: Executor): Promise<Array<{ s_nf: string; first_seen_at: number; last_received_at: number }>> {
  const rows = await metrics(db).selectFrom('nf_nodes').select(['s_nf', 'first_seen_at', 'last_received_at']).orderBy('s_nf').execute();
  return rows.map((r) => ({ s_nf: r.s_nf, first_seen_at: Number(r.first_seen_at), last_received_at: Number(r.last_received_at) }));
}

/**
 * Deletes at most `limit` samples received before `cutoff`, oldest first, in one short
 * statement; returns how many went. Callers loop until it returns less than `limit`.
 */
export async function deleteSamplesBefore(db: Executor, cutoff: number, limit: number): Promise<number> {
  const m = metrics(db);
  const result = await m
    .deleteFrom('nf_samples')
    .where('id', 'in', m.selectFrom('nf_samples').select('id').where('received_at', '<', cutoff).orderBy('received_at').limit(limit))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Forgets NFs whose newest sample is older than `cutoff` (their samples are gone too). */
export async function deleteNodesSilentSince(db: Executor, cutoff: number): Promise<number> {
  const result = await metrics(db).deleteFrom('nf_nodes').where('last_received_at', '<', cutoff).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The stored row type, for tests and the bench that fill the table directly. */
export type SampleRow = Omit<NfSamplesTable, 'id'>;
