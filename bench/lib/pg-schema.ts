/**
 * A fresh PostgreSQL schema for one bench run (as test/support/services.ts makes one for
 * tests): `createPgSchema` creates it in the database at `baseUrl` and returns a
 * DATABASE_URL whose connections use it (`options=-c search_path=<schema>`) and `drop`,
 * which removes it with everything in it. `pgReachable` says whether the server answers.
 */
import net from 'node:net';
import pg from 'pg';

/** The database the benches use unless BENCH_DATABASE_URL names another. */
export const BENCH_PG_BASE = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

export interface PgSchema {
  schema: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates schema `<prefix>_<pid>_<time>` in `baseUrl`'s database. */
export async function createPgSchema(baseUrl: string, prefix = 'bench'): Promise<PgSchema> {
  const schema = `${prefix}_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

/** True when something accepts TCP connections at `url`'s host and port within a second. */
export function pgReachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 5432) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}
