import type { Redis } from 'ioredis';
import { closeRedisConnection, openRedisConnection } from './redis-connection.js';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { toRateDecision } from './memory-state.js';
import { RedisPresence } from './redis-presence.js';
import { RedisPubSub } from './redis-pubsub.js';
import { guardRedis, rateLimiterFailure, redisUnavailable } from './redis-errors.js';
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
    return guardRedis(this.redis.get(this.key(key)));
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await guardRedis(this.redis.set(this.key(key), value, 'PX', px(ttlMs)));
  }
  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await guardRedis(this.redis.set(this.key(key), value, 'PX', px(ttlMs), 'NX'))) === 'OK';
  }
  async take(key: string): Promise<string | null> {
    return guardRedis(this.redis.getdel(this.key(key)));
  }
  async delete(key: string): Promise<void> {
    await guardRedis(this.redis.del(this.key(key)));
  }
  async increment(key: string, ttlMs: number): Promise<number> {
    return guardRedis(this.redis.stoaIncrement(this.key(key), px(ttlMs)));
  }
  async ttlMs(key: string): Promise<number | null> {
    const ms = await guardRedis(this.redis.pttl(this.key(key)));
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
          // A spent budget rejects with a RateLimiterRes; a Redis failure with an Error (outage).
          (res) => toRateDecision(rateLimiterFailure(res), options.points),
        ),
      reset: async (key) => {
        await limiter.delete(key).catch((err: unknown) => {
          throw rateLimiterFailure(err);
        });
      },
    };
  }
}
/** How long `ping` waits for a reconnecting subscriber before calling Redis unavailable. */
const SUBSCRIBER_READY_WAIT_MS = 2000;

/** Resolves when the subscriber connection is ready, or throws AppError('unavailable') after `ms`. */
async function subscriberReady(subscriber: Redis, ms: number): Promise<void> {
  if (subscriber.status === 'ready') return;
  let onReady: () => void = () => {};
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      subscriber.once('ready', onReady);
      timer = setTimeout(() => reject(redisUnavailable(new Error(`subscriber ${subscriber.status}`))), ms);
    });
  } finally {
    clearTimeout(timer);
    subscriber.off('ready', onReady);
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
  // The subscriber never gives up on a command: ioredis resubscribes after a reconnect
  // with a SUBSCRIBE nobody awaits, and a rejected one would be an unhandled rejection.
  const subscriber = openRedisConnection(options.url, 'subscriber', log, null);
  return {
    kind: 'redis',
    kv: new RedisKeyValueStore(commands, options.prefix),
    limits: new RedisRateLimits(commands, options.prefix),
    pubsub: new RedisPubSub(commands, subscriber, options.prefix, log.warn.bind(log)),
    presence: new RedisPresence(commands, options.prefix),
    ping: async () => {
      await guardRedis(commands.ping());
      // A node whose subscriber is still reconnecting would miss broadcasts: not ready either.
      await subscriberReady(subscriber, SUBSCRIBER_READY_WAIT_MS);
    },
    close: async () => {
      await Promise.all([closeRedisConnection(commands), closeRedisConnection(subscriber)]);
    },
  };
}
