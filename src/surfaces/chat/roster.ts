import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { PubSub } from '../../core/state/types.js';

/** The hub topic a logged-in chat client subscribes to for the list of who is online. */
export const CHAT_PRESENCE_TOPIC = 'chat:presence';

const ROSTER_CHANNEL = 'hub:roster';
/** Changes are batched this long, so a burst of logins sends one list, not hundreds. */
const NOTIFY_DELAY_MS = 100;

/** What the roster needs from the engine. */
export interface ChatRosterDeps {
  nodeId: string;
  clock: Clock;
  log: Logger;
  pubsub: PubSub;
  /** A node not heard from for this long is taken to be gone (the chat lease length). */
  leaseMs: number;
}

/** One roster message between nodes. */
interface RosterMessage {
  /** Sending node. */
  n: string;
  /** hello (a node started: announce yourselves), full (my whole list), join, leave, bye (node stopping). */
  k: 'hello' | 'full' | 'join' | 'leave' | 'bye';
  names?: string[];
  name?: string;
}

/**
 * Who is in the chat room, across transports and nodes. Each node knows its own logged-in
 * chat users exactly (from the user leases) and learns the others' over pub/sub: joins
 * and leaves as they happen, and each node's whole list again every third of a lease
 * while it has anyone online, so a lost message or a killed node heals within one lease.
 * The cost is one message per join/leave plus one list per busy node per period.
 */
export class ChatRoster {
  private readonly local = new Map<string, number>();
  private readonly remote = new Map<string, { names: Set<string>; seenAt: number }>();
  private readonly periodMs: number;
  private timer: NodeJS.Timeout | undefined;
  private notifyTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private lastSent = '';

  constructor(
    private readonly deps: ChatRosterDeps,
    /** Called (batched) with the sorted list whenever it changes. */
    private readonly onChange: (online: string[]) => void,
  ) {
    this.periodMs = Math.max(500, Math.floor(deps.leaseMs / 3));
  }

  /** Joins the roster channel and asks the other nodes for their lists. */
  async start(): Promise<void> {
    this.unsubscribe = await this.deps.pubsub.subscribe(ROSTER_CHANNEL, (text) => this.receive(text));
    this.timer = setInterval(() => this.tick(), this.periodMs);
    this.timer.unref();
    this.publish({ n: this.deps.nodeId, k: 'hello' });
  }

  /** Tells the other nodes this one is gone and leaves the channel. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.notifyTimer);
    this.notifyTimer = undefined;
    if (!this.unsubscribe) return;
    await this.deps.pubsub.publish(ROSTER_CHANNEL, JSON.stringify({ n: this.deps.nodeId, k: 'bye' })).catch(() => {});
    await this.unsubscribe().catch(() => {});
    this.unsubscribe = undefined;
  }

  /** A user became a chat member on this node. */
  join(name: string): void {
    const count = this.local.get(name) ?? 0;
    this.local.set(name, count + 1);
    if (count === 0) {
      this.publish({ n: this.deps.nodeId, k: 'join', name });
      this.changed();
    }
  }

  /** A user stopped being a chat member on this node. */
  leave(name: string): void {
    const count = this.local.get(name) ?? 0;
    if (count === 0) return;
    if (count > 1) {
      this.local.set(name, count - 1);
      return;
    }
    this.local.delete(name);
    this.publish({ n: this.deps.nodeId, k: 'leave', name });
    this.changed();
  }

  /** Everyone online on any node, sorted. */
  online(): string[] {
    const all = new Set(this.local.keys());
    for (const entry of this.remote.values()) for (const name of entry.names) all.add(name);
    return [...all].sort((a, b) => a.localeCompare(b));
  }

  private receive(text: string): void {
    let msg: RosterMessage;
    try {
      msg = JSON.parse(text) as RosterMessage;
    } catch {
      return;
    }
    if (!msg || typeof msg.n !== 'string' || msg.n === this.deps.nodeId) return;
    const now = this.deps.clock.now();
    if (msg.k === 'hello') {
      if (this.local.size > 0) this.announce();
      return;
    }
    if (msg.k === 'bye') {
      if (this.remote.delete(msg.n)) this.changed();
      return;
    }
    let entry = this.remote.get(msg.n);
    if (!entry) this.remote.set(msg.n, (entry = { names: new Set(), seenAt: now }));
    entry.seenAt = now;
    if (msg.k === 'full' && Array.isArray(msg.names)) entry.names = new Set(msg.names.filter((x) => typeof x === 'string'));
    else if (msg.k === 'join' && typeof msg.name === 'string') entry.names.add(msg.name);
    else if (msg.k === 'leave' && typeof msg.name === 'string') entry.names.delete(msg.name);
    this.changed();
  }

  private tick(): void {
    if (this.local.size > 0) this.announce();
    const cutoff = this.deps.clock.now() - this.deps.leaseMs;
    let pruned = false;
    for (const [node, entry] of this.remote) {
      if (entry.seenAt < cutoff) {
        this.remote.delete(node);
        pruned = true;
      }
    }
    if (pruned) this.changed();
  }

  private announce(): void {
    this.publish({ n: this.deps.nodeId, k: 'full', names: [...this.local.keys()] });
  }

  private publish(msg: RosterMessage): void {
    this.deps.pubsub.publish(ROSTER_CHANNEL, JSON.stringify(msg)).catch((err) => this.deps.log.warn({ err }, 'chat roster publish failed'));
  }

  private changed(): void {
    if (this.notifyTimer) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      const online = this.online();
      const key = online.join('\n');
      if (key === this.lastSent) return;
      this.lastSent = key;
      this.onChange(online);
    }, NOTIFY_DELAY_MS);
    this.notifyTimer.unref();
  }
}
