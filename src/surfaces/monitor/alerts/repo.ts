import { sql, type Selectable } from 'kysely';
import type { DialectName, Executor } from '../../../core/db/schema.js';
import { firstSampleIdReceivedFrom, lastSampleId, RECEIVE_ORDER_SLACK_MS } from '../metrics/repo.js';
import { NUMERIC_KEYS, type MetricsTables, type NumericKey } from '../metrics/tables.js';
import type { AlertRule } from './rules.js';
import type { AlertHistoryTable, AlertInstancesTable, AlertRulesTable, AlertTables } from './tables.js';

type Tables = AlertTables & MetricsTables;
const t = (db: Executor) => db.withTables<Tables>();

/** An instance row as read. */
export type AlertInstance = Selectable<AlertInstancesTable>;

/** A history row as read. */
export type AlertHistoryRow = Selectable<AlertHistoryTable>;

function ruleFromRow(row: Selectable<AlertRulesTable>): AlertRule {
  return {
    name: row.name,
    field: row.field,
    window_s: row.window_s,
    threshold: row.threshold,
    clear_threshold: row.clear_threshold,
    for_s: row.for_s,
    repeat_s: row.repeat_s,
    enabled: row.enabled === 1,
  };
}

/** Every rule, by name. */
export async function listAlertRules(db: Executor): Promise<AlertRule[]> {
  const rows = await t(db).selectFrom('alert_rules').selectAll().orderBy('name').execute();
  return rows.map(ruleFromRow);
}

/** Inserts or replaces a rule by name. */
export async function saveAlertRule(db: Executor, rule: AlertRule, now: number): Promise<void> {
  const values = { ...rule, enabled: rule.enabled ? 1 : 0, updated_at: now };
  await t(db)
    .insertInto('alert_rules')
    .values(values)
    .onConflict((oc) => oc.column('name').doUpdateSet({ ...values, name: undefined }))
    .execute();
}

/** Where a large SQLite window query may run instead of the main thread (metrics' read thread). */
export interface WindowReader {
  all<Row>(sql: string, parameters: readonly unknown[]): Promise<Row[]>;
}

/** SQLite windows of at least this many rows (about 15 ms of work) go to the read thread when there is one. */
export const OFF_THREAD_MIN_ROWS = 50_000;

/**
 * The average of `field` per NF over samples received in (from, to], skipping NFs whose
 * values there are all non-numeric. PostgreSQL reads the window through the receive-time
 * index; SQLite (which has none) reads the rowid range from firstSampleIdReceivedFrom, on
 * `reader()`'s thread when the range holds at least `offThreadMinRows` rows.
 */
export async function windowAveragesByNf(
  db: Executor,
  dialect: DialectName,
  field: NumericKey,
  from: number,
  to: number,
  offThread: { reader: () => WindowReader | null; minRows?: number } | null = null,
): Promise<Map<string, number>> {
  if (!NUMERIC_KEYS.includes(field)) throw new Error(`not a numeric sample column: ${field}`);
  let rows: Array<{ s_nf: string; average: number }>;
  if (dialect === 'sqlite') {
    const firstId = await firstSampleIdReceivedFrom(db, from - RECEIVE_ORDER_SLACK_MS);
    const query = sqliteWindowAverages(field, firstId, from, to);
    const reader = offThread && (await lastSampleId(db)) - firstId + 1 >= (offThread.minRows ?? OFF_THREAD_MIN_ROWS) ? offThread.reader() : null;
    if (reader) {
      const compiled = query.compile(db);
      rows = await reader.all(compiled.sql, compiled.parameters);
    } else {
      rows = (await query.execute(db)).rows;
    }
  } else {
    rows = await t(db)
      .selectFrom('nf_samples')
      .select((eb) => ['s_nf', eb.fn.avg<number>(field).as('average')])
      .where('received_at', '>', from)
      .where('received_at', '<=', to)
      .where(field, 'is not', null)
      .groupBy('s_nf')
      .execute();
  }
  return new Map(rows.map((r) => [r.s_nf, Number(r.average)]));
}

/**
 * SQLite's window average: a rowid range from `firstId` with no index (NOT INDEXED keeps
 * the planner off the NF index it would otherwise walk whole for the GROUP BY).
 */
export function sqliteWindowAverages(field: NumericKey, firstId: number, from: number, to: number) {
  const col = sql.ref(field);
  return sql<{ s_nf: string; average: number }>`
    select s_nf, avg(${col}) as average from nf_samples not indexed
    where id >= ${firstId} and received_at > ${from} and received_at <= ${to} and ${col} is not null
    group by s_nf`;
}

/** The live instances of one rule, by NF. */
export async function instancesOfRule(db: Executor, ruleName: string): Promise<Map<string, AlertInstance>> {
  const rows = await t(db).selectFrom('alert_instances').selectAll().where('rule_name', '=', ruleName).execute();
  return new Map(rows.map((r) => [r.s_nf, r]));
}

/** Creates the instance for a pair unless one exists; false when another evaluator got there first. */
export async function insertInstance(
  db: Executor,
  row: { rule_name: string; s_nf: string; state: 'pending' | 'firing'; since: number; value: number },
): Promise<boolean> {
  const firing = row.state === 'firing';
  const inserted = await t(db)
    .insertInto('alert_instances')
    .values({
      rule_name: row.rule_name,
      s_nf: row.s_nf,
      state: row.state,
      since: row.since,
      fired_at: firing ? row.since : null,
      last_notified_at: firing ? row.since : null,
      last_value: row.value,
    })
    .onConflict((oc) => oc.columns(['rule_name', 's_nf']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** pending -> firing, only if the instance is still pending. */
export async function markInstanceFiring(db: Executor, id: number, now: number, value: number): Promise<boolean> {
  const result = await t(db)
    .updateTable('alert_instances')
    .set({ state: 'firing', fired_at: now, last_notified_at: now, last_value: value })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Records a reminder, only if nobody sent one since `previous`. */
export async function markInstanceReminded(db: Executor, id: number, previous: number | null, now: number, value: number): Promise<boolean> {
  let query = t(db).updateTable('alert_instances').set({ last_notified_at: now, last_value: value }).where('id', '=', id);
  query = previous === null ? query.where('last_notified_at', 'is', null) : query.where('last_notified_at', '=', previous);
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Removes an instance (resolved or pending dropped), only if it is still in `state`. */
export async function deleteInstance(db: Executor, id: number, state: 'pending' | 'firing'): Promise<boolean> {
  const result = await t(db).deleteFrom('alert_instances').where('id', '=', id).where('state', '=', state).executeTakeFirst();
  return result.numDeletedRows === 1n;
}

/** Appends one notice to the history. */
export async function insertAlertHistory(db: Executor, row: Omit<AlertHistoryRow, 'id'>): Promise<number> {
  const inserted = await t(db).insertInto('alert_history').values(row).returning('id').executeTakeFirstOrThrow();
  return inserted.id;
}

/** The newest `limit` notices, optionally for one NF, newest first. */
export async function latestAlertHistory(db: Executor, sNf: string | null, limit: number): Promise<AlertHistoryRow[]> {
  let query = t(db).selectFrom('alert_history').selectAll();
  if (sNf !== null) query = query.where('s_nf', '=', sNf);
  return query.orderBy('id', 'desc').limit(limit).execute();
}
