import { Redis } from 'ioredis';

/** Where connection trouble is reported (a pino logger fits). */
export interface RedisConnectionLog {
  warn(obj: object, msg: string): void;
}

/** Back-off between reconnect attempts: 100 ms, 200 ms, ... capped at 2 s, forever. */
function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 100, 2000);
}

/**
 * Opens one connection that never crashes the process: errors are logged once per outage
 * (never the URL, which may hold a password), it reconnects by itself, and while Redis is
 * down a command is queued only until `maxRetriesPerRequest` reconnect attempts failed,
 * then rejected (null: wait forever, as BullMQ workers and the pub/sub subscriber need).
 * A connection that may give up also bounds each command to `commandTimeoutMs`, so a
 * request during an outage gets its 503 within that time, whatever the back-off reached.
 */
export function openRedisConnection(
  url: string,
  role: string,
  log: RedisConnectionLog,
  maxRetriesPerRequest: number | null = 2,
  commandTimeoutMs: number | undefined = maxRetriesPerRequest === null ? undefined : 2000,
): Redis {
  const redis = new Redis(url, {
    connectionName: `stoa-${role}`,
    maxRetriesPerRequest,
    commandTimeout: commandTimeoutMs,
    enableOfflineQueue: true,
    autoResubscribe: true,
    retryStrategy: reconnectDelay,
  });
  let down = false;
  redis.on('error', (err: Error & { code?: string }) => {
    if (down) return;
    down = true;
    log.warn({ role, code: err.code, err: err.message }, 'redis connection error; reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    log.warn({ role }, 'redis connection restored');
  });
  return redis;
}

/** Quits politely, or drops the connection when Redis cannot answer. */
export async function closeRedisConnection(redis: Redis): Promise<void> {
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
