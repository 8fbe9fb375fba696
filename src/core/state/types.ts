/**
 * Ephemeral shared state: codes, counters, presence and pub/sub. Each interface has an
 * in-process implementation (one node) and a Redis one (many nodes), and both pass the
 * same test file, so a surface never knows which one it talks to.
 */

/** Strings with a time to live. */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores only when the key is absent; true when it stored. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Reads and deletes in one atomic step: one-time values such as captcha answers. */
  take(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
  /** Adds one, creating the key at 1 with `ttlMs` when absent; the TTL is not extended. */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Milliseconds left, or null when the key does not exist. */
  ttlMs(key: string): Promise<number | null>;
}

/** Result of spending from a rate limit. */
export interface RateDecision {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
}

/** A fixed-window limit of `points` per `durationS`, keyed by caller (IP, phone, user). */
export interface RateLimit {
  consume(key: string, points?: number): Promise<RateDecision>;
  /** Gives the key its full allowance back. */
  reset(key: string): Promise<void>;
}

/** Makes named rate limits; the same name and key share one budget across nodes. */
export interface RateLimits {
  create(name: string, options: { points: number; durationS: number }): RateLimit;
}

/** Fire-and-forget messages to every node, this one included. */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Returns a function that ends the subscription. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
}

/** Leases that say who holds what (a user's one live connection) and counted sets of recently seen members (viewers). */
export interface Presence {
  /** Takes the lease when free, expired, or already ours (then it is refreshed). */
  claim(key: string, holder: string, leaseMs: number): Promise<boolean>;
  /** Extends the lease only if `holder` still holds it. */
  refresh(key: string, holder: string, leaseMs: number): Promise<boolean>;
  /**
   * Extends many leases in one round trip; entries no longer held are left alone and
   * their keys returned, so the caller can re-claim a lease that expired during an outage.
   */
  refreshMany(entries: ReadonlyArray<{ key: string; holder: string }>, leaseMs: number): Promise<string[]>;
  /** Gives the lease up only if `holder` holds it. */
  release(key: string, holder: string): Promise<boolean>;
  holderOf(key: string): Promise<string | null>;
  /** Marks `member` of `group` as seen now, for `ttlMs`. */
  markSeen(group: string, member: string, ttlMs: number): Promise<void>;
  forget(group: string, member: string): Promise<void>;
  /** Members of `group` seen within their TTL. */
  countSeen(group: string): Promise<number>;
}

/** Everything shared between requests and nodes that is not durable data. */
export interface SharedState {
  readonly kind: 'memory' | 'redis';
  readonly kv: KeyValueStore;
  readonly limits: RateLimits;
  readonly pubsub: PubSub;
  readonly presence: Presence;
  /** Throws when the backing store is unreachable (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
