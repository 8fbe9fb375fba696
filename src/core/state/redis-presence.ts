import type { Presence } from './types.js';
import { guardRedis } from './redis-errors.js';
import { px, type RefreshPipeline, type ScriptedRedis } from './redis-scripts.js';

/**
 * Leases and seen-sets in Redis, so "who holds what" and viewer counts agree across nodes.
 * A connection-level failure surfaces as AppError('unavailable') (see redis-errors.ts).
 */
export class RedisPresence implements Presence {
  constructor(private readonly redis: ScriptedRedis, private readonly prefix: string) {}

  private leaseKey(key: string): string {
    return `${this.prefix}lease:${key}`;
  }
  private seenKey(group: string): string {
    return `${this.prefix}seen:${group}`;
  }

  async claim(key: string, holder: string, leaseMs: number): Promise<boolean> {
    return (await guardRedis(this.redis.stoaClaim(this.leaseKey(key), holder, px(leaseMs)))) === 1;
  }
  async refresh(key: string, holder: string, leaseMs: number): Promise<boolean> {
    return (await guardRedis(this.redis.stoaRefresh(this.leaseKey(key), holder, px(leaseMs)))) === 1;
  }
  async refreshMany(entries: ReadonlyArray<{ key: string; holder: string }>, leaseMs: number): Promise<string[]> {
    if (entries.length === 0) return [];
    const pipeline = this.redis.pipeline() as RefreshPipeline;
    for (const { key, holder } of entries) pipeline.stoaRefresh(this.leaseKey(key), holder, px(leaseMs));
    const results = (await guardRedis(pipeline.exec())) ?? [];
    const failure = results.find(([err]) => err !== null);
    if (failure) return guardRedis(Promise.reject(failure[0]));
    return entries.filter((_, i) => results[i]?.[1] !== 1).map(({ key }) => key);
  }
  async release(key: string, holder: string): Promise<boolean> {
    return (await guardRedis(this.redis.stoaRelease(this.leaseKey(key), holder))) === 1;
  }
  async holderOf(key: string): Promise<string | null> {
    return guardRedis(this.redis.get(this.leaseKey(key)));
  }
  async markSeen(group: string, member: string, ttlMs: number): Promise<void> {
    await guardRedis(this.redis.stoaMarkSeen(this.seenKey(group), member, px(ttlMs)));
  }
  async forget(group: string, member: string): Promise<void> {
    await guardRedis(this.redis.zrem(this.seenKey(group), member));
  }
  async countSeen(group: string): Promise<number> {
    return guardRedis(this.redis.stoaCountSeen(this.seenKey(group)));
  }
}
