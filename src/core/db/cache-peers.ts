import { createHash } from 'node:crypto';
import pg from 'pg';

/** PostgreSQL's own clock in milliseconds, so that every node's heartbeat is judged by one clock. */
const PG_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint';

/** How often a node tells the others, through the `cache_nodes` table, that it still serves reads from memory. */
const HEARTBEAT_MS = 1000;

/** A node whose last heartbeat PostgreSQL saw longer ago than this is not waited for. */
const LIVE_MS = 5000;

/**
 * How long a node keeps serving reads from memory after sending its last heartbeat that was
 * answered: a second less than LIVE_MS, so it has stopped before any writer stops waiting
 * for it.
 */
const TRUST_MS = LIVE_MS - 1000;

/** Rows of nodes silent for longer than this are deleted by the next heartbeat that looks. */
const FORGET_MS = 60_000;

/** After losing its connection, a node tries again this often. */
const RECONNECT_MS = 1000;

/** How a node learns of others' writes and tells them of its own. */
export interface CachePeersOptions {
  connectionString: string;
  nodeId: string;
  /**
   * The longest a write waits for the other nodes to confirm: by then each of them has
   * dropped whatever it read before the write anyway (every node reads everything anew at
   * least this often: see LocalWriteVersion), so a node that does not answer only slows
   * writes down, never makes them unsafe.
   */
  confirmWithinMs: number;
  /** Another node wrote `tables` (every table when null): drop what was read from them. */
  onPeerWrite(tables: readonly string[] | null): void;
  /** This node was out of touch (connection lost, heartbeat late) and is back: drop everything. */
  onRejoin(): void;
  /** Something worth a warning (a node that did not confirm in time, a lost connection). */
  warn(message: string, fields?: Record<string, unknown>): void;
}

interface Confirmation {
  seq: number;
  waitingFor: Set<string>;
  done: () => void;
}

/**
 * The nodes sharing one PostgreSQL database, each serving hot reads from memory, told of
 * each other's writes before those writes are acknowledged. Each node holds one connection
 * of its own that LISTENs on a channel named after the schema, and keeps a heartbeat row in
 * `cache_nodes`. After a write to tables some node may serve from memory commits, the
 * writer NOTIFYs the tables and waits until every node with a live heartbeat has dropped
 * what it read from them and confirmed (a NOTIFY back), so a request sent to any node after
 * the write's answer reads the write: a revocation on one node holds on every node at once.
 *
 * A node serves from memory only while its connection is up and its last heartbeat was
 * answered less than TRUST_MS ago. A writer waits for the nodes PostgreSQL heard from within
 * LIVE_MS whose connection is still open (its backend, named in the heartbeat row, is in
 * pg_stat_activity: a node that was killed drops out at once, as its kernel closes the
 * socket), and never longer than `confirmWithinMs`. A node that joins registers its
 * heartbeat after it listens and before it serves anything from memory, so a writer that
 * does not see it yet wrote before anything it will read.
 */
export class CachePeers {
  private client: pg.Client | null = null;
  private channel = '';
  private listening = false;
  private trustedUntil = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private reconnect: NodeJS.Timeout | null = null;
  private heartbeats = 0;
  private closed = false;
  private seq = 0;
  /** Tables written since the last announcement went out (null: every table). */
  private pending: Set<string> | null | undefined;
  private pendingDone: Array<() => void> = [];
  private readonly confirmations: Confirmation[] = [];
  /** The highest of this node's announcements each other node has confirmed. */
  private readonly confirmed = new Map<string, number>();
  /** The highest announcement of each other node this node owes a confirmation for. */
  private readonly owed = new Map<string, number>();
  private lastSlowWarning = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: CachePeersOptions) {}

  /** True while this node may serve reads from memory: listening, with a recent heartbeat. */
  serving(): boolean {
    return this.listening && performance.now() < this.trustedUntil;
  }

  /** Connects, listens, registers the first heartbeat; resolves once this node serves from memory. */
  async start(): Promise<void> {
    await this.connect();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /**
   * Tells the other nodes that `tables` (every table when null) changed in a commit that
   * has returned, and resolves once each live node has dropped what it read from them, or
   * after `confirmWithinMs`. Announcements made in the same turn of the event loop share
   * one NOTIFY. Before `start`, and after `close`, it resolves at once: no node serves
   * anything read through this one's announcements yet.
   */
  announce(tables: readonly string[] | null): Promise<void> {
    if (!this.listening && this.heartbeat === null) return Promise.resolve();
    if (this.pending === undefined) {
      this.pending = new Set();
      setImmediate(() => void this.flush());
    }
    if (tables === null) this.pending = null;
    else if (this.pending !== null) for (const t of tables) this.pending.add(t);
    return new Promise((resolve) => this.pendingDone.push(resolve));
  }

  /** Stops the heartbeat, removes this node's row and closes its connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.reconnect) clearTimeout(this.reconnect);
    this.heartbeat = null;
    this.listening = false;
    for (const c of this.confirmations.splice(0)) c.done();
    const client = this.client;
    this.client = null;
    if (!client) return;
    await client.query('DELETE FROM cache_nodes WHERE node_id = $1', [this.options.nodeId]).catch(() => {});
    await client.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    // Named, so an operator (or a test) can tell it apart in pg_stat_activity.
    const client = new pg.Client({ connectionString: this.options.connectionString, application_name: `stoa cache peers ${this.options.nodeId}` });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel === this.channel && msg.payload) this.received(msg.payload);
    });
    await client.connect();
    const { rows } = await client.query<{ schema: string }>('SELECT current_schema() AS schema');
    this.channel = `stoa_cache_${createHash('sha256').update(rows[0]!.schema).digest('hex').slice(0, 16)}`;
    await client.query(`LISTEN ${this.channel}`);
    this.client = client;
    this.listening = true;
    await this.beat();
    this.options.onRejoin();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    this.listening = false;
    this.trustedUntil = 0;
    client.end().catch(() => {});
    if (this.closed) return;
    this.options.warn('lost the connection that carries cache invalidations; reads go to PostgreSQL until it is back');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnect || this.closed) return;
    this.reconnect = setTimeout(() => {
      this.reconnect = null;
      this.connect().catch(() => {
        this.client?.end().catch(() => {});
        this.client = null;
        this.listening = false;
        this.scheduleReconnect();
      });
    }, RECONNECT_MS);
    this.reconnect.unref();
  }

  /** One heartbeat: while it is answered in time, this node keeps serving from memory. */
  private async beat(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const sentAt = performance.now();
    const lapsed = sentAt >= this.trustedUntil;
    try {
      await client.query(
        `INSERT INTO cache_nodes (node_id, seen_at, pid) VALUES ($1, ${PG_NOW_MS}, pg_backend_pid())
         ON CONFLICT (node_id) DO UPDATE SET seen_at = EXCLUDED.seen_at, pid = EXCLUDED.pid`,
        [this.options.nodeId],
      );
      if (++this.heartbeats % 60 === 0) await client.query(`DELETE FROM cache_nodes WHERE seen_at < ${PG_NOW_MS} - $1`, [FORGET_MS]);
    } catch {
      return; // trust runs out by itself; a dead connection is replaced through 'error'/'end'
    }
    if (this.client !== client) return;
    this.trustedUntil = sentAt + TRUST_MS;
    // Writers may have stopped waiting for this node meanwhile: nothing read before counts.
    if (lapsed && this.heartbeats > 1) this.options.onRejoin();
  }

  /** Sends what was announced since the last flush, and waits for the live nodes to confirm. */
  private async flush(): Promise<void> {
    const tables = this.pending;
    const done = this.pendingDone;
    this.pending = undefined;
    this.pendingDone = [];
    const finish = () => done.forEach((d) => d());
    const client = this.client;
    if (!client || tables === undefined) {
      // No way to tell the others now: once confirmWithinMs has passed they read anew anyway.
      if (tables !== undefined) setTimeout(finish, this.options.confirmWithinMs).unref();
      else finish();
      return;
    }
    const seq = ++this.seq;
    const payload = `w|${this.options.nodeId}|${seq}|${tables === null ? '*' : [...tables].join(',')}`;
    let peers: string[];
    try {
      const { rows } = await client.query<{ peers: string[] }>(
        `SELECT pg_notify($1, $2) AS sent,
           (SELECT coalesce(array_agg(c.node_id), '{}') FROM cache_nodes c
             WHERE c.node_id <> $3 AND c.seen_at > ${PG_NOW_MS} - $4
               AND EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.pid = c.pid)) AS peers`,
        [this.channel, payload, this.options.nodeId, LIVE_MS],
      );
      peers = rows[0]!.peers;
    } catch {
      setTimeout(finish, this.options.confirmWithinMs).unref();
      return;
    }
    const waitingFor = new Set(peers.filter((p) => (this.confirmed.get(p) ?? 0) < seq));
    if (waitingFor.size === 0) return finish();
    const confirmation: Confirmation = { seq, waitingFor, done: finish };
    const timer = setTimeout(() => {
      const at = this.confirmations.indexOf(confirmation);
      if (at < 0) return;
      this.confirmations.splice(at, 1);
      this.warnSlow([...confirmation.waitingFor]);
      finish();
    }, this.options.confirmWithinMs);
    timer.unref();
    confirmation.done = () => {
      clearTimeout(timer);
      finish();
    };
    this.confirmations.push(confirmation);
  }

  private warnSlow(nodes: string[]): void {
    const now = performance.now();
    if (now - this.lastSlowWarning < 60_000) return;
    this.lastSlowWarning = now;
    this.options.warn('nodes did not confirm a cache invalidation in time; writes waited for the bound instead', { nodes });
  }

  /** A NOTIFY on the channel: another node's write (drop and confirm), or a confirmation of ours. */
  private received(payload: string): void {
    const [kind, a, b, c] = payload.split('|');
    if (kind === 'w' && a && a !== this.options.nodeId) {
      this.options.onPeerWrite(c === '*' || c === undefined ? null : c.split(',').filter(Boolean));
      const first = this.owed.size === 0;
      this.owed.set(a, Math.max(this.owed.get(a) ?? 0, Number(b)));
      if (first) setImmediate(() => void this.confirm());
    } else if (kind === 'a' && a === this.options.nodeId && c) {
      const seq = Number(b);
      this.confirmed.set(c, Math.max(this.confirmed.get(c) ?? 0, seq));
      for (let i = this.confirmations.length - 1; i >= 0; i--) {
        const waiting = this.confirmations[i]!;
        if (waiting.seq > seq || !waiting.waitingFor.delete(c)) continue;
        if (waiting.waitingFor.size > 0) continue;
        this.confirmations.splice(i, 1);
        waiting.done();
      }
    }
  }

  /** Confirms, in one statement, every announcement received since the last confirmation. */
  private async confirm(): Promise<void> {
    const client = this.client;
    const owed = [...this.owed];
    this.owed.clear();
    if (!client || owed.length === 0) return;
    const payloads = owed.map(([origin, seq]) => `a|${origin}|${seq}|${this.options.nodeId}`);
    await client.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [this.channel, payloads]).catch(() => {});
  }
}
