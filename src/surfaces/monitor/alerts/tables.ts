import type { Generated, Kysely } from 'kysely';
import { withIdColumn } from '../../../core/db/core-migrations.js';
import type { StoaMigration } from '../../../core/db/migrator.js';
import type { DialectName, EpochMs } from '../../../core/db/schema.js';
import type { NumericKey } from '../metrics/tables.js';

/** An alert rule: data an admin edits, read by every evaluation. */
export type AlertRulesTable = {
  id: Generated<number>;
  name: string;
  /** The sample column averaged, e.g. `s_cpu`. */
  field: NumericKey;
  window_s: number;
  /** Fires while the average is above this. */
  threshold: number;
  /** Resolves once the average is below this (lower than `threshold`: hysteresis). */
  clear_threshold: number;
  /** How long the condition must hold before firing; 0 fires on the first evaluation. */
  for_s: number;
  /** Reminder period while firing; 0 = no reminders. */
  repeat_s: number;
  /** 1 or 0 (an integer on both dialects). */
  enabled: number;
  updated_at: EpochMs;
};

/** The live state of one (rule, NF) pair; no row means "ok". Unique per pair, so a pair can never fire twice. */
export type AlertInstancesTable = {
  id: Generated<number>;
  rule_name: string;
  s_nf: string;
  state: 'pending' | 'firing';
  /** When the condition started holding (pending since). */
  since: EpochMs;
  fired_at: EpochMs | null;
  /** Time of the firing notice or the latest reminder. */
  last_notified_at: EpochMs | null;
  last_value: number;
};

/** One notice sent: firing, reminder or resolved. */
export type AlertHistoryTable = {
  id: Generated<number>;
  rule_name: string;
  s_nf: string;
  kind: 'firing' | 'reminder' | 'resolved';
  field: string;
  value: number;
  message: string;
  at: EpochMs;
};

/** The alert tables, added to the core ones with `db.withTables<AlertTables>()`. */
export type AlertTables = {
  alert_rules: AlertRulesTable;
  alert_instances: AlertInstancesTable;
  alert_history: AlertHistoryTable;
};

/** The rule every fresh database starts with (monitor.md: average s_cpu over 60 s above 90, clears below 85). */
export const DEFAULT_RULE = {
  name: 'cpu_high',
  field: 's_cpu',
  window_s: 60,
  threshold: 90,
  clear_threshold: 85,
  for_s: 0,
  repeat_s: 3600,
  enabled: 1,
  updated_at: 0,
} as const;

const real = (dialect: DialectName) => (dialect === 'sqlite' ? 'real' : 'double precision');

/** Rules (seeded with `cpu_high`), instances unique per (rule, NF), and the history read newest first. */
export const alertMigrations: StoaMigration[] = [
  {
    name: '0210_alert_rules',
    async up(db: Kysely<any>, dialect: DialectName) {
      await withIdColumn(db.schema.createTable('alert_rules'), dialect)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('field', 'text', (c) => c.notNull())
        .addColumn('window_s', 'integer', (c) => c.notNull())
        .addColumn('threshold', real(dialect), (c) => c.notNull())
        .addColumn('clear_threshold', real(dialect), (c) => c.notNull())
        .addColumn('for_s', 'integer', (c) => c.notNull())
        .addColumn('repeat_s', 'integer', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.insertInto('alert_rules').values(DEFAULT_RULE).execute();
    },
  },
  {
    name: '0211_alert_instances',
    async up(db: Kysely<any>, dialect: DialectName) {
      await withIdColumn(db.schema.createTable('alert_instances'), dialect)
        .addColumn('rule_name', 'text', (c) => c.notNull())
        .addColumn('s_nf', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addColumn('fired_at', 'bigint')
        .addColumn('last_notified_at', 'bigint')
        .addColumn('last_value', real(dialect), (c) => c.notNull())
        .addUniqueConstraint('alert_instances_rule_nf', ['rule_name', 's_nf'])
        .execute();
    },
  },
  {
    name: '0212_alert_history',
    async up(db: Kysely<any>, dialect: DialectName) {
      await withIdColumn(db.schema.createTable('alert_history'), dialect)
        .addColumn('rule_name', 'text', (c) => c.notNull())
        .addColumn('s_nf', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('field', 'text', (c) => c.notNull())
        .addColumn('value', real(dialect), (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('alert_history_nf_id').on('alert_history').columns(['s_nf', 'id']).execute();
    },
  },
];
