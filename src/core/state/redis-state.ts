import type { Redis } from 'ioredis';
import { closeRedisConnection, openRedisConnection } from './redis-connection.js';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { toRateDecision } from './memory-state.js';
import { RedisPresence } from './redis-presence.js';
import { RedisPubSub } from './redis-pubsub.js';
import { defineStateScripts, px, type ScriptedRedis } from './redis-scripts.js';
import type { KeyValueStore, RateLimit, RateLimits, SharedState } from './types.js';

/** Where Redis warnings go; only messages and codes are logged, never the URL (it may hold a password). */
export interface RedisStateLog {
  warn(obj: object, msg: string): void;
}

class RedisKeyValueStore implements KeyValueStore {
  constructor(private readonly redis: ScriptedRedis, private readonly prefix: string) {}

  private key(key: string): string {
    return `${this.prefix}kv:${key}`;
  }

  async get(key: string): Promise<string | null> {
    return this.redis.get(this.key(key));
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(key), value, 'PX', px(ttlMs));
  }
  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key(key), value, 'PX', px(ttlMs), 'NX')) === 'OK';
  }
  async take(key: string): Promise<string | null> {
    return this.redis.getdel(this.key(key));
  }
  async delete(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }
  async increment(key: string, ttlMs: number): Promise<number> {
    return this.redis.stoaIncrement(this.key(key), px(ttlMs));
  }
  async ttlMs(key: string): Promise<number | null> {
    const ms = await this.redis.pttl(this.key(key));
    // -2: no such key. -1 (no expiry) cannot happen through this API, which always sets one.
    if (ms === -2) return null;
    return ms === -1 ? Number.POSITIVE_INFINITY : ms;
  }
}

class RedisRateLimits implements RateLimits {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  create(name: string, options: { points: number; durationS: number }): RateLimit {
    const limiter = new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix: `${this.prefix}rate:${name}`,
      points: options.points,
      duration: options.durationS,
    });
    return {
      consume: (key, points = 1) =>
        limiter.consume(key, points).then(
          (res) => toRateDecision(res, options.points),
          (res) => toRateDecision(res, options.points),
        ),
      reset: async (key) => {
        await limiter.delete(key);
      },
    };
  }
}


/**
 * Shared state in Redis, for running several nodes behind one load balancer: codes,
 * counters, rate limits, presence and pub/sub then agree across nodes. Every key and
 * channel starts with `prefix`, so several deployments (or test files) share one Redis.
 */
export function createRedisState(options: { url: string; prefix: string; log?: RedisStateLog }): SharedState {
  const log = options.log ?? { warn: () => {} };
  const commands = defineStateScripts(openRedisConnection(options.url, 'commands', log));
  const subscriber = openRedisConnection(options.url, 'subscriber', log);
  return {
    kind: 'redis',
    kv: new RedisKeyValueStore(commands, options.prefix),
    limits: new RedisRateLimits(commands, options.prefix),
    pubsub: new RedisPubSub(commands, subscriber, options.prefix, log.warn.bind(log)),
    presence: new RedisPresence(commands, options.prefix),
    ping: async () => {
      await commands.ping();
    },
    close: async () => {
      await Promise.all([closeRedisConnection(commands), closeRedisConnection(subscriber)]);
    },
  };
}
