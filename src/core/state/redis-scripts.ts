import type { ChainableCommander, Redis } from 'ioredis';

/**
 * Lua scripts for the operations that must be atomic across nodes. Time: leases and key
 * TTLs are kept by Redis itself (PX), and "seen" sets are scored with the Redis server's
 * clock (`TIME` inside the script), never the node's, so nodes with skewed clocks agree.
 */
const SERVER_NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const SCRIPTS = {
  // SET NX creates the key with its TTL only when absent; INCR keeps an existing TTL.
  stoaIncrement: `redis.call('SET', KEYS[1], 0, 'PX', ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])`,
  stoaClaim: `local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`,
  stoaRefresh: `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`,
  stoaRelease: `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`,
  // Members are scored by their expiry time; the set itself expires with its last member.
  stoaMarkSeen: `${SERVER_NOW}
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`,
  stoaCountSeen: `${SERVER_NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`,
} as const;

/** The connection with the scripts above as typed commands (ioredis types custom commands loosely). */
export interface ScriptedRedis extends Redis {
  stoaIncrement(key: string, ttlMs: number): Promise<number>;
  stoaClaim(key: string, holder: string, leaseMs: number): Promise<number>;
  stoaRefresh(key: string, holder: string, leaseMs: number): Promise<number>;
  stoaRelease(key: string, holder: string): Promise<number>;
  stoaMarkSeen(key: string, member: string, ttlMs: number): Promise<number>;
  stoaCountSeen(key: string): Promise<number>;
}

/** A pipeline that can batch lease refreshes. */
export type RefreshPipeline = ChainableCommander & {
  stoaRefresh(key: string, holder: string, leaseMs: number): RefreshPipeline;
};

/** Registers the scripts (ioredis sends EVALSHA and loads the script on NOSCRIPT). */
export function defineStateScripts(redis: Redis): ScriptedRedis {
  for (const [name, lua] of Object.entries(SCRIPTS)) redis.defineCommand(name, { numberOfKeys: 1, lua });
  return redis as ScriptedRedis;
}

/** Redis rejects PX 0 and fractions; the shortest lease it takes is 1 ms. */
export function px(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
