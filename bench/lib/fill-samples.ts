/**
 * Fills nf_samples straight through the database (not HTTP) for the latest-query bench:
 * one INSERT ... SELECT over a generated sequence per chunk (a recursive CTE on SQLite,
 * generate_series on PostgreSQL), spread round-robin over `nfs` NF names, one row per ms.
 */
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';

const CHUNK = 1_000_000;
const NUMERIC = ['s_attemp', 's_cpu', 's_disk', 's_diskin', 's_diskout', 's_error', 's_load', 's_loss', 's_memory', 's_size', 's_system', 's_traffic', 's_transfer'];

/** Where the rows go. */
export type FillTarget = { kind: 'sqlite'; dataDir: string } | { kind: 'postgres'; url: string };

function selectRows(kind: 'sqlite' | 'postgres', json: string): string {
  const cols = NUMERIC.map((k, j) => `((i * ${j + 7}) % 100) * 1.0`).join(', ');
  const pairs = NUMERIC.map((k, j) => `'${k}', (i * ${j + 7}) % 100`).join(', ');
  const nf = kind === 'sqlite' ? `'nf-' || (i % $NFS)` : `'nf-' || (i % $NFS)::text`;
  return `select ${nf}, $START + i, '2026-01-01 00:00:00', ${json}('dt_infotime', '2026-01-01 00:00:00', ${pairs}, 's_nf', ${nf})${kind === 'postgres' ? '::text' : ''}, ${cols}`;
}

/** Inserts `rows` samples ending about a minute ago; prints progress; returns rows per second. */
export async function fillSamples(target: FillTarget, rows: number, nfs: number, log: (line: string) => void): Promise<number> {
  const start = Date.now() - rows - 60_000;
  const columns = `s_nf, received_at, dt_infotime, raw, ${NUMERIC.join(', ')}`;
  const began = performance.now();
  if (target.kind === 'sqlite') {
    const db = new SqliteDatabase(path.join(target.dataDir, 'stoa.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const select = selectRows('sqlite', 'json_object').replaceAll('$NFS', String(nfs)).replaceAll('$START', String(start));
    const insert = db.prepare(
      `insert into nf_samples (${columns}) with recursive seq(i) as (select ? union all select i + 1 from seq where i + 1 < ?) ${select} from seq`,
    );
    for (let from = 0; from < rows; from += CHUNK) {
      db.transaction(() => insert.run(from, Math.min(rows, from + CHUNK)))();
      log(`  filled ${Math.min(rows, from + CHUNK).toLocaleString()} rows`);
    }
    const upsert = db.prepare(
      'insert into nf_nodes (s_nf, first_seen_at, last_received_at) values (?, ?, ?) on conflict (s_nf) do update set last_received_at = max(last_received_at, excluded.last_received_at)',
    );
    for (let k = 0; k < nfs; k++) upsert.run(`nf-${k}`, start + k, start + rows - 1 - ((rows - 1 - k) % nfs));
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  } else {
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      const select = selectRows('postgres', 'json_build_object').replaceAll('$NFS', String(nfs)).replaceAll('$START', String(start));
      for (let from = 0; from < rows; from += CHUNK) {
        await client.query(`insert into nf_samples (${columns}) ${select} from generate_series($1::bigint, $2::bigint) as i`, [from, Math.min(rows, from + CHUNK) - 1]);
        log(`  filled ${Math.min(rows, from + CHUNK).toLocaleString()} rows`);
      }
      await client.query(
        `insert into nf_nodes (s_nf, first_seen_at, last_received_at) select 'nf-' || k, $1::bigint + k, $1::bigint + $2::bigint - 1 - (($2::bigint - 1 - k) % $3) from generate_series(0, $3 - 1) as k
         on conflict (s_nf) do update set last_received_at = greatest(nf_nodes.last_received_at, excluded.last_received_at)`,
        [start, rows, nfs],
      );
      await client.query('analyze nf_samples');
    } finally {
      await client.end();
    }
  }
  return rows / ((performance.now() - began) / 1000);
}
