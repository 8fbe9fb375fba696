import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import type { Presence } from '../../core/state/types.js';
import { OutgoingEvent, type BoundUser, type HubConnection } from '../../core/realtime/connection.js';

const PING = OutgoingEvent.of({ type: 'ping' });

/** What the leases need from the hub that owns the connections. */
export interface LeaseHost {
  /** The open connection with this id on this node, if any. */
  connection(id: string): HubConnection | undefined;
  /** True while the connection is handling one of its own frames (so it is plainly alive). */
  isBusy(conn: HubConnection): boolean;
  /** Closes and forgets a connection that no longer answers. */
  drop(conn: HubConnection, reason: string): Promise<void>;
  /** A user became (true) or stopped being (false) a chat member on this node: the roster follows it. */
  membershipChanged(conn: HubConnection, user: BoundUser, joined: boolean): void;
}

/** Settings of the lease keeper. */
export interface UserLeaseDeps {
  nodeId: string;
  clock: Clock;
  log: Logger;
  presence: Presence;
  /** How long a lease lasts without a refresh: a killed node's users are free again after this. */
  leaseMs: number;
}

/**
 * One live chat connection per user, across transports and nodes: each logged-in
 * connection holds a presence lease `chat-user:<id>` naming `<node>/<connection>`. The
 * lease is refreshed by a loop (every third of its length, in one round trip for all
 * users of the node) and by the connection's own traffic (throttled to the same cadence),
 * released on logout and disconnect, and simply expires when its node dies, so within
 * `leaseMs` another node may take the user.
 */
export class UserLeases {
  /** Logged-in chat connections on this node. */
  readonly members = new Set<HubConnection>();
  private readonly refreshedAt = new WeakMap<HubConnection, number>();
  private readonly refreshEveryMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: UserLeaseDeps,
    private readonly host: LeaseHost,
  ) {
    this.refreshEveryMs = Math.max(500, Math.floor(deps.leaseMs / 3));
  }

  /** Starts the refresh loop. */
  start(): void {
    this.timer = setInterval(() => void this.refreshAll(), this.refreshEveryMs);
    this.timer.unref();
  }

  /** Stops the refresh loop (leases are released as the hub removes each connection). */
  stop(): void {
    clearInterval(this.timer);
  }

  private key(userId: number): string {
    return `chat-user:${userId}`;
  }

  private holderId(conn: HubConnection): string {
    return `${this.deps.nodeId}/${conn.id}`;
  }

  /**
   * Makes `conn` the user's one live connection. If another connection on this node holds
   * the user, it is probed with `{"type":"ping"}`; a dead one is dropped and the claim
   * proceeds. A holder on another node is trusted until its lease expires.
   */
  async claim(conn: HubConnection, user: BoundUser): Promise<boolean> {
    if (conn.user && conn.user.id !== user.id) await this.release(conn);
    const key = this.key(user.id);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.deps.presence.claim(key, this.holderId(conn), this.deps.leaseMs)) {
        const already = this.members.has(conn) && conn.user?.id === user.id;
        conn.user = user;
        this.members.add(conn);
        if (!already) this.host.membershipChanged(conn, user, true);
        this.refreshedAt.set(conn, this.deps.clock.now());
        return true;
      }
      const current = await this.deps.presence.holderOf(key);
      if (current === null) continue;
      if (!(await this.dropIfDead(key, current))) return false;
    }
    return false;
  }

  /** True when the user holds a live connection anywhere; a dead local holder is cleaned up first. */
  async isLive(userId: number): Promise<boolean> {
    const key = this.key(userId);
    const current = await this.deps.presence.holderOf(key);
    if (current === null) return false;
    return !(await this.dropIfDead(key, current));
  }

  /** Ends the chat identity of a connection (logout, disconnect) and gives its lease up. */
  async release(conn: HubConnection): Promise<void> {
    const user = conn.user;
    if (!user) return;
    conn.user = null;
    if (this.members.delete(conn)) this.host.membershipChanged(conn, user, false);
    await this.deps.presence.release(this.key(user.id), this.holderId(conn));
  }

  /**
   * Traffic refresh: called for each received frame; at most once per refresh period per
   * connection it re-claims the lease (which also re-takes one that lapsed during a Redis
   * outage). If another connection took the user meanwhile, this one stops being a chat client.
   */
  touch(conn: HubConnection): void {
    const user = conn.user;
    if (!user) return;
    const now = this.deps.clock.now();
    if (now - (this.refreshedAt.get(conn) ?? 0) < this.refreshEveryMs) return;
    this.refreshedAt.set(conn, now);
    this.deps.presence.claim(this.key(user.id), this.holderId(conn), this.deps.leaseMs).then(
      (held) => {
        if (held || conn.user?.id !== user.id) return;
        conn.user = null;
        if (this.members.delete(conn)) this.host.membershipChanged(conn, user, false);
        this.deps.log.warn({ conn: conn.id, user: user.id }, 'chat presence lease lost to another connection');
      },
      (err) => this.deps.log.warn({ err }, 'presence lease refresh failed'),
    );
  }

  /**
   * Extends every lease held on this node in one round trip; the loop calls it. A lease
   * that vanished (it expired while Redis was down, or Redis restarted empty) is claimed
   * again for its still-open connection; one another connection took is left to that one.
   */
  async refreshAll(): Promise<void> {
    const members = [...this.members];
    const entries = members.map((conn) => ({ key: this.key(conn.user!.id), holder: this.holderId(conn) }));
    if (entries.length === 0) return;
    const now = this.deps.clock.now();
    try {
      const lost = new Set(await this.deps.presence.refreshMany(entries, this.deps.leaseMs));
      for (const [i, conn] of members.entries()) {
        const { key, holder } = entries[i]!;
        if (lost.has(key) && this.members.has(conn) && !(await this.deps.presence.claim(key, holder, this.deps.leaseMs))) {
          this.deps.log.warn({ conn: conn.id, key }, 'chat presence lease held by another connection after refresh');
        }
      }
      for (const conn of this.members) this.refreshedAt.set(conn, now);
    } catch (err) {
      this.deps.log.warn({ err }, 'presence lease refresh failed');
    }
  }

  /**
   * Returns true when the holder was dead (and is now gone). A holder busy with one of its
   * own frames (its heartbeat, its chat) is plainly alive: pinging it would put a `ping`
   * ahead of the reply that old clients read as the answer to their request.
   */
  private async dropIfDead(key: string, holder: string): Promise<boolean> {
    const prefix = `${this.deps.nodeId}/`;
    if (!holder.startsWith(prefix)) return false;
    const local = this.host.connection(holder.slice(prefix.length));
    if (local && local.isOpen() && (this.host.isBusy(local) || local.send(PING))) return false;
    if (local) await this.host.drop(local, 'replaced: connection no longer answers');
    await this.deps.presence.release(key, holder);
    return true;
  }
}
