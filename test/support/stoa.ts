import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { AppOverrides } from '../../src/core/app.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createPostgresSchema, testPostgresUrl } from './services.js';

/** A database a test server runs on; the same scenarios run against each. */
export interface TestDatabase {
  dialect: 'sqlite' | 'postgres';
  /** Env entries that point a server at it (DATA_DIR always, DATABASE_URL for PostgreSQL). */
  env: Record<string, string>;
  dataDir: string;
  drop(): Promise<void>;
}

/** Each dialect with a skip reason when its service is missing outside CI (under CI=true a missing one throws). */
export async function dialects(): Promise<Array<{ name: 'sqlite' | 'postgres'; skip: string | false }>> {
  const pg = await testPostgresUrl();
  return [
    { name: 'sqlite', skip: false },
    { name: 'postgres', skip: pg ? false : 'PostgreSQL not reachable' },
  ];
}

/** A fresh, empty database of the given dialect. */
export async function createTestDatabase(dialect: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stoa-test-'));
  if (dialect === 'sqlite') {
    return { dialect, dataDir, env: { DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const schema = await createPostgresSchema((await testPostgresUrl())!);
  return {
    dialect,
    dataDir,
    env: { DATA_DIR: dataDir, DATABASE_URL: schema.url },
    drop: async () => {
      await schema.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A server under test with the addresses clients need. */
export interface TestServer {
  server: RunningServer;
  baseUrl: string;
  wsUrl: string;
  tcpPort: number;
  stop(): Promise<void>;
}

/** Defaults for tests: random ports, quiet logs, cheap argon2 (the password tests use the real cost). */
const TEST_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  PORT: '0',
  SOCKET_PORT: '0',
  LOG_LEVEL: 'silent',
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  NODE_ENV: 'test',
};

/**
 * Starts a real server (real sockets) on `db`, with extra env and optional injected parts
 * (a clock, a logger, a mailer that records).
 */
export async function startTestServer(
  db: TestDatabase,
  options: { env?: Record<string, string> } & AppOverrides = {},
): Promise<TestServer> {
  const { env, ...overrides } = options;
  const config = loadConfig({ ...TEST_ENV, ...db.env, ...env });
  const server = await startServer(config, overrides);
  const baseUrl = server.httpUrl;
  const tcpLine = server.announcements.find((l) => l.startsWith('tcp chat listening on '));
  return {
    server,
    baseUrl,
    wsUrl: `${baseUrl.replace('http', 'ws')}/ws`,
    tcpPort: tcpLine ? Number(tcpLine.split(':').pop()) : -1,
    stop: () => server.close(),
  };
}
