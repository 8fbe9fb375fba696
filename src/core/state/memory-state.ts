import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Clock } from '../../lib/clock.js';
import type {
  KeyValueStore,
  Presence,
  PubSub,
  RateDecision,
  RateLimit,
  RateLimits,
  SharedState,
} from './types.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** Keys with expiry, checked on read and swept every few seconds. */
class ExpiringMap {
  private readonly entries = new Map<string, Entry>();
  constructor(private readonly clock: Clock) {}

  get(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: string, ttlMs: number): void {
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs });
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  sweep(): void {
    const now = this.clock.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

class MemoryKeyValueStore implements KeyValueStore {
  constructor(private readonly map: ExpiringMap, private readonly clock: Clock) {}

  async get(key: string): Promise<string | null> {
    return this.map.get(key)?.value ?? null;
  }
  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.map.set(key, value, ttlMs);
  }
  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    if (this.map.get(key)) return false;
    this.map.set(key, value, ttlMs);
    return true;
  }
  async take(key: string): Promise<string | null> {
    const entry = this.map.get(key);
    if (!entry) return null;
    this.map.delete(key);
    return entry.value;
  }
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
  async increment(key: string, ttlMs: number): Promise<number> {
    const entry = this.map.get(key);
    if (!entry) {
      this.map.set(key, '1', ttlMs);
      return 1;
    }
    const next = Number(entry.value) + 1;
    entry.value = String(next);
    return next;
  }
  async ttlMs(key: string): Promise<number | null> {
    const entry = this.map.get(key);
    return entry ? Math.max(0, entry.expiresAt - this.clock.now()) : null;
  }
}

/** Converts rate-limiter-flexible's answer (or its rejection) into a RateDecision. */
export function toRateDecision(result: unknown, points: number): RateDecision {
  if (result instanceof RateLimiterRes) {
    const allowed = result.consumedPoints <= points;
    return { allowed, remaining: Math.max(0, result.remainingPoints), retryAfterMs: allowed ? 0 : result.msBeforeNext };
  }
  throw result;
}

class MemoryRateLimits implements RateLimits {
  private readonly limiters = new Map<string, RateLimiterMemory>();

  create(name: string, options: { points: number; durationS: number }): RateLimit {
    // One limiter per name, so every caller of the same name spends from the same budget.
    let limiter = this.limiters.get(name);
    if (!limiter) {
      limiter = new RateLimiterMemory({ keyPrefix: name, points: options.points, duration: options.durationS });
      this.limiters.set(name, limiter);
    }
    return {
      consume: (key, points = 1) =>
        limiter!.consume(key, points).then(
          (res) => toRateDecision(res, options.points),
          (res) => toRateDecision(res, options.points),
        ),
      reset: async (key) => {
        await limiter!.delete(key);
      },
    };
  }
}

class MemoryPubSub implements PubSub {
  private readonly handlers = new Map<string, Set<(message: string) => void>>();

  async publish(channel: string, message: string): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set) return;
    for (const handler of set) {
      try {
        handler(message);
      } catch {
        // A failing subscriber must not affect the publisher, as with Redis.
      }
    }
  }

  async subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    let set = this.handlers.get(channel);
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(channel);
    };
  }
}

class MemoryPresence implements Presence {
  private readonly groups = new Map<string, Map<string, number>>();
  constructor(private readonly leases: ExpiringMap, private readonly clock: Clock) {}

  async claim(key: string, holder: string, leaseMs: number): Promise<boolean> {
    const current = this.leases.get(key);
    if (current && current.value !== holder) return false;
    this.leases.set(key, holder, leaseMs);
    return true;
  }
  async refresh(key: string, holder: string, leaseMs: number): Promise<boolean> {
    const current = this.leases.get(key);
    if (!current || current.value !== holder) return false;
    this.leases.set(key, holder, leaseMs);
    return true;
  }
  async refreshMany(entries: ReadonlyArray<{ key: string; holder: string }>, leaseMs: number): Promise<string[]> {
    const lost: string[] = [];
    for (const { key, holder } of entries) if (!(await this.refresh(key, holder, leaseMs))) lost.push(key);
    return lost;
  }
  async release(key: string, holder: string): Promise<boolean> {
    const current = this.leases.get(key);
    if (!current || current.value !== holder) return false;
    this.leases.delete(key);
    return true;
  }
  async holderOf(key: string): Promise<string | null> {
    return this.leases.get(key)?.value ?? null;
  }
  async markSeen(group: string, member: string, ttlMs: number): Promise<void> {
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Map()));
    members.set(member, this.clock.now() + ttlMs);
  }
  async forget(group: string, member: string): Promise<void> {
    this.groups.get(group)?.delete(member);
  }
  async countSeen(group: string): Promise<number> {
    const members = this.groups.get(group);
    if (!members) return 0;
    const now = this.clock.now();
    for (const [member, expiresAt] of members) if (expiresAt <= now) members.delete(member);
    if (members.size === 0) this.groups.delete(group);
    return members.size;
  }
}

/** In-process shared state for a single node; expiry follows the injected clock. */
export function createMemoryState(clock: Clock): SharedState {
  const values = new ExpiringMap(clock);
  const leases = new ExpiringMap(clock);
  const sweeper = setInterval(() => {
    values.sweep();
    leases.sweep();
  }, 5000);
  sweeper.unref();
  return {
    kind: 'memory',
    kv: new MemoryKeyValueStore(values, clock),
    limits: new MemoryRateLimits(),
    pubsub: new MemoryPubSub(),
    presence: new MemoryPresence(leases, clock),
    ping: async () => {},
    close: async () => clearInterval(sweeper),
  };
}
