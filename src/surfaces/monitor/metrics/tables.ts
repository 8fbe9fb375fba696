import { sql, type Generated, type Kysely } from 'kysely';
import { withIdColumn } from '../../../core/db/core-migrations.js';
import type { StoaMigration } from '../../../core/db/migrator.js';
import type { DialectName, EpochMs } from '../../../core/db/schema.js';

/** The 15 keys a sample must carry, in the order the "Missing title" error checks them. */
export const SAMPLE_KEYS = [
  'dt_infotime',
  's_attemp',
  's_cpu',
  's_disk',
  's_diskin',
  's_diskout',
  's_error',
  's_load',
  's_loss',
  's_memory',
  's_nf',
  's_size',
  's_system',
  's_traffic',
  's_transfer',
] as const;

/** The keys that carry measurements (every key but the time and the NF name). */
export const NUMERIC_KEYS = SAMPLE_KEYS.filter((k) => k !== 'dt_infotime' && k !== 's_nf') as Array<
  Exclude<(typeof SAMPLE_KEYS)[number], 'dt_infotime' | 's_nf'>
>;

/** A numeric key. */
export type NumericKey = (typeof NUMERIC_KEYS)[number];

/**
 * One row per sample: the values exactly as sent (JSON in `raw`: an array in SAMPLE_KEYS
 * order, or in rows from before that, an object), plus each measurement parsed into a
 * typed column (null when it is not a finite number) for averages and charts.
 */
export type NfSamplesTable = {
  id: Generated<number>;
  s_nf: string;
  /** Server receive time; everything orders by it. */
  received_at: EpochMs;
  dt_infotime: string;
  raw: string;
} & { [K in NumericKey]: number | null };

/** Last sample time per NF, kept beside the samples so the NF list never scans them. */
export type NfNodesTable = {
  s_nf: string;
  first_seen_at: EpochMs;
  last_received_at: EpochMs;
};

/** The metrics tables. */
export type MetricsTables = {
  nf_samples: NfSamplesTable;
  nf_nodes: NfNodesTable;
};

/** The planner statistics 0201 wrote for nf_samples_nf_time (sqlite_stat1 format), which 0202 removes again. */
const NF_TIME_INDEX_STATS = '1000000 10000 1';

/**
 * Samples with the (s_nf, received_at) index that makes "latest for NF" and "range for NF"
 * index scans. On PostgreSQL a receive-time index also makes a window over every NF (the
 * alert evaluation's average, the retention sweep) one range scan.
 * SQLite history: 0201 dropped the receive-time index to save a B-tree write per sample;
 * 0202 put it back, because the window query then became a skip-scan of the NF index
 * (measured five times slower); 0203 drops it for good, now that SQLite windows are rowid
 * ranges (samples are appended in receive order: see firstSampleIdReceivedFrom in repo.ts).
 */
export const metricsMigrations: StoaMigration[] = [
  {
    name: '0200_nf_samples',
    async up(db: Kysely<any>, dialect: DialectName) {
      // On SQLite a plain `integer primary key` (the rowid itself): AUTOINCREMENT would add a
      // sqlite_sequence update to every insert, and ids here only break receive-time ties.
      const created = db.schema.createTable('nf_samples');
      let table = (dialect === 'sqlite' ? created.addColumn('id', 'integer', (c) => c.primaryKey()) : withIdColumn(created, dialect))
        .addColumn('s_nf', 'text', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('dt_infotime', 'text', (c) => c.notNull())
        .addColumn('raw', 'text', (c) => c.notNull());
      for (const key of NUMERIC_KEYS) table = table.addColumn(key, dialect === 'sqlite' ? 'real' : 'double precision');
      await table.execute();
      await db.schema.createIndex('nf_samples_nf_time').on('nf_samples').columns(['s_nf', 'received_at']).execute();
      await db.schema.createIndex('nf_samples_time').on('nf_samples').column('received_at').execute();
      await db.schema
        .createTable('nf_nodes')
        .addColumn('s_nf', 'text', (c) => c.primaryKey())
        .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('last_received_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
  {
    name: '0201_nf_samples_one_index',
    async up(db: Kysely<any>, dialect: DialectName) {
      // PostgreSQL keeps its receive-time index: it has no skip-scan for the cross-NF window query.
      if (dialect !== 'sqlite') return;
      await db.schema.dropIndex('nf_samples_time').ifExists().execute();
      // `ANALYZE sqlite_schema` creates sqlite_stat1 if needed and, run again, reloads it.
      await sql`analyze sqlite_schema`.execute(db);
      await sql`delete from sqlite_stat1 where tbl = 'nf_samples'`.execute(db);
      await sql`insert into sqlite_stat1 (tbl, idx, stat) values ('nf_samples', 'nf_samples_nf_time', ${NF_TIME_INDEX_STATS})`.execute(db);
      await sql`analyze sqlite_schema`.execute(db);
    },
  },
  {
    name: '0202_nf_samples_time_index_again',
    async up(db: Kysely<any>, dialect: DialectName) {
      if (dialect !== 'sqlite') return;
      await db.schema.createIndex('nf_samples_time').ifNotExists().on('nf_samples').column('received_at').execute();
      await sql`delete from sqlite_stat1 where tbl = 'nf_samples' and idx = 'nf_samples_nf_time' and stat = ${NF_TIME_INDEX_STATS}`.execute(db);
      await sql`analyze sqlite_schema`.execute(db);
    },
  },
  {
    name: '0203_nf_samples_rowid_windows',
    async up(db: Kysely<any>, dialect: DialectName) {
      if (dialect !== 'sqlite') return;
      await db.schema.dropIndex('nf_samples_time').ifExists().execute();
    },
  },
];
