import net from 'node:net';
import pg from 'pg';
import { randomHex } from '../../src/lib/crypto.js';

/** True when CI=true: then PostgreSQL and Redis suites must run, not skip. */
export const servicesRequired = process.env.CI === 'true';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

async function reachable(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || defaultPort) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

async function availability(url: string, port: number, what: string): Promise<string | null> {
  if (await reachable(url, port)) return url;
  if (servicesRequired) throw new Error(`${what} at ${url} is required when CI=true but is not reachable`);
  console.warn(`# ${what} not reachable at ${url}: its suites are skipped`);
  return null;
}

let redisCheck: Promise<string | null> | undefined;
let pgCheck: Promise<string | null> | undefined;

/** The Redis URL for tests, or null (skip) when it is down outside CI. */
export function testRedisUrl(): Promise<string | null> {
  return (redisCheck ??= availability(REDIS_URL, 6379, 'Redis'));
}

/** The PostgreSQL base URL for tests, or null (skip) when it is down outside CI. */
export function testPostgresUrl(): Promise<string | null> {
  return (pgCheck ??= availability(PG_URL, 5432, 'PostgreSQL'));
}

/** A unique Redis key prefix, so parallel test files never see each other's keys. */
export function uniqueRedisPrefix(): string {
  return `stoa-test:${randomHex(6)}:`;
}

/** A fresh PostgreSQL schema and a DATABASE_URL whose connections use it; `drop` removes it. */
export async function createPostgresSchema(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `t_${randomHex(6)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}
