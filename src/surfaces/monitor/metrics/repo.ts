import { CompiledQuery, sql, type Kysely } from 'kysely';
import type { DialectName, Executor } from '../../../core/db/schema.js';
import { NodeRefresh, type NodeTimes } from './node-refresh.js';
import type { SampleInput } from './rules.js';
import { encodeSampleRow, ROW_WIDTH, SAMPLE_COLUMNS, sampleValuesFromRaw, type EncodedRows } from './sample-rows.js';
import { type MetricsTables, type NfSamplesTable, type NumericKey, NUMERIC_KEYS } from './tables.js';

/** Rows per SQLite INSERT statement: 17 parameters each stays far below SQLite's parameter cap. */
const ROWS_PER_STATEMENT = 500;

/** A sample with the time the server received it. */
export interface ReceivedSample {
  sample: SampleInput;
  receivedAt: number;
}

const sqliteInsertCache = new Map<number, string>();

/** The SQLite multi-row INSERT text for `count` rows, built once per count. */
function sqliteInsertSql(count: number): string {
  let text = sqliteInsertCache.get(count);
  if (!text) {
    const tuple = `(${SAMPLE_COLUMNS.map(() => '?').join(', ')})`;
    text = `insert into nf_samples (${SAMPLE_COLUMNS.join(', ')}) values ${Array.from({ length: count }, () => tuple).join(', ')}`;
    if (sqliteInsertCache.size < 1000) sqliteInsertCache.set(count, text);
  }
  return text;
}

const PG_COLUMN_TYPES: Record<(typeof SAMPLE_COLUMNS)[number], string> = {
  s_nf: 'text',
  received_at: 'bigint',
  dt_infotime: 'text',
  raw: 'text',
  ...(Object.fromEntries(NUMERIC_KEYS.map((k) => [k, 'float8'])) as Record<NumericKey, string>),
};

/**
 * PostgreSQL: the whole group in one statement of fixed text, one array parameter per
 * column (unnest turns them back into rows), with the nf_nodes upsert riding in the same
 * statement, so a group costs one round trip and one commit whatever its size.
 */
const PG_INSERT_SQL = (() => {
  const arrays = SAMPLE_COLUMNS.map((c, i) => `$${i + 1}::${PG_COLUMN_TYPES[c]}[]`).join(', ');
  const n = SAMPLE_COLUMNS.length;
  return (
    `with inserted as (insert into nf_samples (${SAMPLE_COLUMNS.join(', ')}) select * from unnest(${arrays})) ` +
    `insert into nf_nodes (s_nf, first_seen_at, last_received_at) ` +
    `select * from unnest($${n + 1}::text[], $${n + 2}::bigint[], $${n + 3}::bigint[]) ` +
    `on conflict (s_nf) do update set last_received_at = greatest(nf_nodes.last_received_at, excluded.last_received_at)`
  );
})();

function metrics(db: Executor): Kysely<MetricsTables> {
  return db.withTables<MetricsTables>() as unknown as Kysely<MetricsTables>;
}

/**
 * Inserts the samples and moves each NF's nf_nodes row forward. Run it inside a
 * transaction on SQLite so all of it commits or none does (on PostgreSQL it is one statement).
 */
export async function insertSamples(db: Executor, dialect: DialectName, rows: readonly ReceivedSample[]): Promise<void> {
  const encoded: EncodedRows = [];
  for (const { sample, receivedAt } of rows) encodeSampleRow(encoded, sample, receivedAt);
  const groups = [encoded];
  await insertEncodedRows(db, dialect, groups, new NodeRefresh().due(groups));
}

/**
 * Inserts groups of encoded rows and upserts the nf_nodes rows in `nodes`: on PostgreSQL
 * one unnest statement (atomic on its own), on SQLite multi-row INSERTs (run it in a
 * transaction). The SQLite hot path does not come here: see sqlite-inserter.ts.
 */
export async function insertEncodedRows(db: Executor, dialect: DialectName, groups: readonly EncodedRows[], nodes: NodeTimes): Promise<void> {
  const names = [...nodes.keys()].sort();
  if (dialect === 'postgres') {
    const columns: unknown[][] = SAMPLE_COLUMNS.map(() => []);
    for (const rows of groups) {
      for (let r = 0; r < rows.length; r += ROW_WIDTH) for (let c = 0; c < ROW_WIDTH; c++) columns[c]!.push(rows[r + c]);
    }
    const firsts = names.map((nf) => nodes.get(nf)!.first);
    const lasts = names.map((nf) => nodes.get(nf)!.last);
    await db.executeQuery(CompiledQuery.raw(PG_INSERT_SQL, [...columns, names, firsts, lasts]));
    return;
  }
  const all = groups.length === 1 ? groups[0]! : groups.flat();
  const chunkValues = ROWS_PER_STATEMENT * ROW_WIDTH;
  for (let start = 0; start < all.length; start += chunkValues) {
    const chunk = all.slice(start, start + chunkValues);
    await db.executeQuery(CompiledQuery.raw(sqliteInsertSql(chunk.length / ROW_WIDTH), chunk));
  }
  const nodeRows = names.map((s_nf) => ({ s_nf, first_seen_at: nodes.get(s_nf)!.first, last_received_at: nodes.get(s_nf)!.last }));
  for (let start = 0; start < nodeRows.length; start += ROWS_PER_STATEMENT) {
    await metrics(db)
      .insertInto('nf_nodes')
      .values(nodeRows.slice(start, start + ROWS_PER_STATEMENT))
      .onConflict((oc) =>
        oc.column('s_nf').doUpdateSet({ last_received_at: sql<number>`max(nf_nodes.last_received_at, excluded.last_received_at)` }),
      )
      .execute();
  }
}

/** The values of the newest sample for an NF (by receive time), exactly as sent, in the 15-key order; null when it has none. */
export async function latestSampleForNf(db: Executor, nf: string): Promise<Record<string, unknown> | null> {
  const row = await metrics(db)
    .selectFrom('nf_samples')
    .select('raw')
    .where('s_nf', '=', nf)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? sampleValuesFromRaw(row.raw) : null;
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

/**
 * Every NF seen, by name, with its first and last sample times. The last time comes from
 * the (s_nf, received_at) index (one seek per NF), so it is exact even though writers
 * move nf_nodes.last_received_at forward only about once a second.
 */
export async function listNodes(db: Executor): Promise<Array<{ s_nf: string; first_seen_at: number; last_received_at: number }>> {
  const rows = await metrics(db)
    .selectFrom('nf_nodes as n')
    .select((eb) => [
      'n.s_nf',
      'n.first_seen_at',
      eb.fn
        .coalesce(
          eb.selectFrom('nf_samples as s').select((e) => e.fn.max('s.received_at').as('t')).whereRef('s.s_nf', '=', 'n.s_nf'),
          'n.last_received_at',
        )
        .as('last_received_at'),
    ])
    .orderBy('n.s_nf')
    .execute();
  return rows.map((r) => ({ s_nf: r.s_nf, first_seen_at: Number(r.first_seen_at), last_received_at: Number(r.last_received_at) }));
}

/**
 * How far out of receive order a SQLite sample may sit and still be found by a
 * receive-time window. One process stamps and commits its samples in order (one writer
 * queue), so disorder only comes from rows written some other way (another process on
 * the same file, a direct import); a window's lower id bound is taken this much early.
 */
export const RECEIVE_ORDER_SLACK_MS = 10_000;

/**
 * SQLite: the lowest sample id from which samples received at or after `receivedAt`
 * begin (the max id + 1 when there are none). Samples are appended in receive order, so
 * the rowid doubles as a receive-time index: a binary search over it costs about
 * log2(rows) single-row lookups, and a window read or delete becomes a rowid range,
 * which saves a B-tree write on every ingested sample (nf_samples has no receive-time
 * index on SQLite, see migration 0203).
 */
export async function firstSampleIdReceivedFrom(db: Executor, receivedAt: number): Promise<number> {
  const m = metrics(db);
  // Two scalar subqueries: SQLite answers a lone min() or max() of the rowid from the B-tree's edge.
  const ends = await sql<{ lo: number | null; hi: number | null }>`select (select min(id) from nf_samples) as lo, (select max(id) from nf_samples) as hi`.execute(db);
  const { lo: first, hi: last } = ends.rows[0] ?? { lo: null, hi: null };
  if (first === null || last === null) return 0;
  let lo = Number(first);
  let hi = Number(last) + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = await m.selectFrom('nf_samples').select(['id', 'received_at']).where('id', '>=', mid).orderBy('id').limit(1).executeTakeFirst();
    if (!row || Number(row.received_at) >= receivedAt) hi = mid;
    else lo = Number(row.id) + 1;
  }
  return lo;
}

/** The highest sample id, 0 when there are none (SQLite reads it from the B-tree's edge). */
export async function lastSampleId(db: Executor): Promise<number> {
  const row = await metrics(db).selectFrom('nf_samples').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return Number(row?.id ?? 0);
}

/**
 * Deletes at most `limit` samples received before `cutoff`, oldest first, in one short
 * statement; returns how many went. Callers loop until it returns less than `limit`.
 * PostgreSQL finds them through the receive-time index; SQLite scans ids below
 * `belowId` (firstSampleIdReceivedFrom of the cutoff plus the slack, found once per sweep).
 */
export async function deleteSamplesBefore(db: Executor, cutoff: number, limit: number, belowId?: number): Promise<number> {
  const m = metrics(db);
  const old =
    belowId === undefined
      ? m.selectFrom('nf_samples').select('id').where('received_at', '<', cutoff).orderBy('received_at').limit(limit)
      : m.selectFrom('nf_samples').select('id').where('id', '<', belowId).where('received_at', '<', cutoff).orderBy('id').limit(limit);
  const result = await m.deleteFrom('nf_samples').where('id', 'in', old).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Forgets NFs silent since before `cutoff` that have no sample left. */
export async function deleteNodesSilentSince(db: Executor, cutoff: number): Promise<number> {
  const result = await metrics(db)
    .deleteFrom('nf_nodes')
    .where('last_received_at', '<', cutoff)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('nf_samples').select('id').whereRef('nf_samples.s_nf', '=', 'nf_nodes.s_nf'))))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The stored row type, for tests and the bench that fill the table directly. */
export type SampleRow = Omit<NfSamplesTable, 'id'>;

/** Which of `names` have an nf_nodes row (have been stored and not yet expired). */
export async function knownNodeNames(db: Executor, names: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < names.length; i += ROWS_PER_STATEMENT) {
    const chunk = names.slice(i, i + ROWS_PER_STATEMENT);
    const rows = await metrics(db).selectFrom('nf_nodes').select('s_nf').where('s_nf', 'in', chunk).execute();
    for (const row of rows) found.add(row.s_nf);
  }
  return found;
}
