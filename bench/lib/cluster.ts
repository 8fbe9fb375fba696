/**
 * Stoa nodes in cluster mode for bench/chat-fanout.ts: every node shares one fresh
 * PostgreSQL schema, one Redis key prefix and one JWT secret, and has its own
 * NODE_ID, data dir and ports (PORT=0 SOCKET_PORT=0 on 127.0.0.1). Chat
 * broadcasts then go through the hub's Redis pub/sub relay even with one node,
 * so "1 node in cluster mode" against "N nodes" isolates the cost of spreading
 * clients over processes, and "SQLite single node" against "1 cluster node"
 * shows what the relay itself costs.
 *
 * The schema is dropped and the prefix's Redis keys deleted at the end of each
 * run (also after errors). A bench killed by a signal cannot await that: it
 * leaves a `t_xxxxxx` schema and `stoa-bench:xxxxxx:` keys behind, named on stderr.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { randomHex } from '../../src/lib/crypto.js';
import { createPostgresSchema } from '../../test/support/services.js';
import { startServer, type RunningServer } from './server-process.js';
import { liveProcesses, liveTempDirs, stoaEnv } from './phases.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLUSTER_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';
export const CLUSTER_REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Redis SCAN rounds allowed when deleting the prefix's keys (1,000 keys a round). */
const MAX_SCAN_ROUNDS = 1000;

/** Deletes every key under `prefix`, in bounded SCAN rounds; returns how many went. */
async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    let deleted = 0;
    for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) deleted += await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/**
 * Starts `count` Stoa nodes in cluster mode (node 1 first, so it runs the migrations alone, then
 * the rest together); `use` runs with them; nodes, data dirs, schema and Redis keys are gone
 * afterwards whatever happens.
 */
export async function withCluster<T>(count: number, nodeArgs: string[], use: (nodes: RunningServer[]) => Promise<T>): Promise<T> {
  const schema = await createPostgresSchema(CLUSTER_DATABASE_URL);
  const prefix = `stoa-bench:${randomHex(6)}:`;
  const jwtSecret = randomHex(20);
  const dataDirs: string[] = [];
  const nodes: RunningServer[] = [];
  process.stderr.write(`  cluster: ${count} node(s), schema ${new URL(schema.url).searchParams.get('options')}, redis prefix ${prefix}\n`);
  const start = (i: number): Promise<RunningServer> => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), `stoa-bench-n${i}-`));
    dataDirs.push(dataDir);
    liveTempDirs.add(dataDir);
    return startServer(
      {
        name: `n${i}`,
        command: process.execPath,
        args: [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', 'serve'],
        cwd: REPO_ROOT,
        env: {
          ...stoaEnv(dataDir),
          DATABASE_URL: schema.url,
          REDIS_URL: CLUSTER_REDIS_URL,
          REDIS_PREFIX: prefix,
          JWT_SECRET: jwtSecret,
          NODE_ID: `n${i}`,
        },
        ipc: false,
        startTimeoutMs: 60_000,
      },
      liveProcesses,
    );
  };
  try {
    nodes.push(await start(1));
    const rest = await Promise.allSettled(Array.from({ length: count - 1 }, (_, i) => start(i + 2)));
    for (const r of rest) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return await use(nodes);
  } finally {
    await Promise.all(nodes.map((node) => node.stop()));
    for (const dir of dataDirs) {
      rmSync(dir, { recursive: true, force: true });
      liveTempDirs.delete(dir);
    }
    await schema.drop().catch((error: unknown) => process.stderr.write(`  cluster: could not drop the schema: ${String(error)}\n`));
    await deleteRedisKeys(CLUSTER_REDIS_URL, prefix).catch((error: unknown) =>
      process.stderr.write(`  cluster: could not delete the ${prefix} keys: ${String(error)}\n`),
    );
  }
}
