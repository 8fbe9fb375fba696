import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { isAppError } from '../errors.js';
import type { Presence, PubSub } from '../state/types.js';
import { CHAT_PRESENCE_TOPIC, ChatRoster } from './chat-roster.js';
import { OutgoingEvent, type BoundUser, type HubConnection } from './connection.js';
import { UserLeases } from './user-leases.js';

/** Handles one request type arriving on a realtime connection; the returned object is sent back. */
export type MessageHandler = (conn: HubConnection, message: Record<string, unknown>) => Promise<object | void>;

/** What the hub needs from the rest of the engine. */
export interface HubDeps {
  nodeId: string;
  clock: Clock;
  log: Logger;
  pubsub: PubSub;
  presence: Presence;
  /** How long a user's one-live-connection lease lasts without a refresh. */
  presenceLeaseMs: number;
  /** A connection with no frame for this long is closed by the sweep. */
  idleTimeoutMs: number;
}

const RELAY_CHANNEL = 'hub:events';
const CHAT_TOPIC = '';
const MAX_TOPICS_PER_CONNECTION = 100;
const MAX_QUEUED_FRAMES = 64;

const INVALID_JSON = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Invalid JSON' });
const UNKNOWN_TYPE = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Unknown type' });
const INTERNAL_ERROR = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Internal error' });
const UNAVAILABLE = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Service unavailable' });

interface Inbox {
  frames: string[];
  running: boolean;
  paused: boolean;
}

/**
 * The one place that knows every realtime client on this node, across TCP, WebSocket
 * and Socket.IO. It routes incoming frames (in order, per connection) to the handlers
 * surfaces register, keeps topic subscriptions, enforces one live connection per user
 * through presence leases (user-leases.ts), and fans events out. Every broadcast goes through pub/sub,
 * so with Redis behind it several nodes behave as one.
 */
export class Hub {
  private readonly connections = new Map<string, HubConnection>();
  private readonly subscribers = new Map<string, Set<HubConnection>>();
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly topicRules: Array<(topic: string) => boolean> = [];
  private readonly inboxes = new WeakMap<HubConnection, Inbox>();
  private readonly localListeners: Array<(topic: string, event: OutgoingEvent) => void> = [];
  private unsubscribeRelay: (() => Promise<void>) | undefined;
  private readonly leases: UserLeases;
  private readonly roster: ChatRoster;
  private nextId = 1;

  constructor(private readonly deps: HubDeps) {
    const { nodeId, clock, log, presence, presenceLeaseMs, pubsub } = deps;
    this.roster = new ChatRoster({ nodeId, clock, log, pubsub, leaseMs: presenceLeaseMs }, (online) => this.sendPresence(online));
    this.leases = new UserLeases({ nodeId, clock, log, presence, leaseMs: presenceLeaseMs }, {
      connection: (id) => this.connections.get(id),
      isBusy: (conn) => this.inboxes.get(conn)?.running === true,
      drop: async (conn, reason) => {
        conn.close(reason);
        await this.remove(conn);
      },
      membershipChanged: (conn, user, joined) => {
        if (joined) return this.roster.join(user.username);
        this.roster.leave(user.username);
        // Who is online is for chat members only: a client that stops being one stops hearing it.
        conn.topics.delete(CHAT_PRESENCE_TOPIC);
        this.subscribers.get(CHAT_PRESENCE_TOPIC)?.delete(conn);
      },
    });
  }

  /** Joins the cross-node relay and starts refreshing presence leases. */
  async start(): Promise<void> {
    this.unsubscribeRelay = await this.deps.pubsub.subscribe(RELAY_CHANNEL, (message) => this.deliver(message));
    await this.roster.start();
    this.leases.start();
  }

  /** Leaves the relay, closes every connection and releases their leases. */
  async stop(): Promise<void> {
    this.leases.stop();
    for (const conn of [...this.connections.values()]) {
      conn.close('server shutting down');
      await this.remove(conn);
    }
    await this.roster.stop();
    await this.unsubscribeRelay?.();
  }

  /** A node-unique id for a new connection. */
  newConnectionId(prefix: string): string {
    return `${prefix}${this.nextId++}`;
  }

  /** Registers a handler for request `type` (e.g. the chat surface's `login`). */
  handle(type: string, handler: MessageHandler): void {
    if (this.handlers.has(type)) throw new Error(`hub handler for ${type} registered twice`);
    this.handlers.set(type, handler);
  }

  /** Lets clients subscribe to topics the rule accepts (surfaces own their topic names). */
  allowTopics(rule: (topic: string) => boolean): void {
    this.topicRules.push(rule);
  }

  /** Observes every event delivered on this node (Socket.IO bridging, tests). */
  onDeliver(listener: (topic: string, event: OutgoingEvent) => void): void {
    this.localListeners.push(listener);
  }

  /** Starts tracking a newly accepted connection. */
  add(conn: HubConnection): void {
    this.connections.set(conn.id, conn);
    this.inboxes.set(conn, { frames: [], running: false, paused: false });
  }

  /** Forgets a closed connection: its topics, its chat membership and its presence lease. */
  async remove(conn: HubConnection): Promise<void> {
    if (!this.connections.delete(conn.id)) return;
    for (const topic of conn.topics) this.subscribers.get(topic)?.delete(conn);
    conn.topics.clear();
    await this.releaseUser(conn).catch((err) => this.deps.log.warn({ err }, 'presence release failed'));
  }

  /** Number of open connections on this node. */
  get size(): number {
    return this.connections.size;
  }

  /** Accepts one received frame; frames of a connection are handled one at a time, in order. */
  receive(conn: HubConnection, text: string): void {
    conn.lastActivityAt = this.deps.clock.now();
    this.leases.touch(conn);
    const inbox = this.inboxes.get(conn);
    if (!inbox) return;
    inbox.frames.push(text);
    if (inbox.frames.length > MAX_QUEUED_FRAMES && !inbox.paused) {
      inbox.paused = true;
      conn.pauseReading();
    }
    if (!inbox.running) void this.drain(conn, inbox);
  }

  /** Answers a frame the transport could not even split (stray text): Invalid JSON, connection kept. */
  receiveInvalid(conn: HubConnection): void {
    conn.lastActivityAt = this.deps.clock.now();
    this.leases.touch(conn);
    conn.send(INVALID_JSON);
  }

  private async drain(conn: HubConnection, inbox: Inbox): Promise<void> {
    inbox.running = true;
    while (inbox.frames.length > 0 && conn.isOpen()) {
      await this.dispatch(conn, inbox.frames.shift()!);
      if (inbox.paused && inbox.frames.length <= MAX_QUEUED_FRAMES / 2) {
        inbox.paused = false;
        conn.resumeReading();
      }
    }
    inbox.frames.length = 0;
    inbox.running = false;
  }

  private async dispatch(conn: HubConnection, text: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      conn.send(INVALID_JSON);
      return;
    }
    if (!message || typeof message !== 'object' || Array.isArray(message)) {
      conn.send(UNKNOWN_TYPE);
      return;
    }
    const request = message as Record<string, unknown>;
    if (request.type === 'subscribe' || request.type === 'unsubscribe') {
      const answer = this.changeSubscription(conn, request.type, request.topic);
      conn.send(OutgoingEvent.of(answer));
      if (request.topic === CHAT_PRESENCE_TOPIC && (answer as { type: string }).type === 'subscribed') {
        conn.send(this.presenceEvent(this.roster.online()));
      }
      return;
    }
    const handler = typeof request.type === 'string' ? this.handlers.get(request.type) : undefined;
    if (!handler) {
      conn.send(UNKNOWN_TYPE);
      return;
    }
    try {
      const reply = await handler(conn, request);
      if (reply) conn.send(OutgoingEvent.of(reply));
    } catch (err) {
      if (isAppError(err) && err.code === 'unavailable') {
        conn.send(UNAVAILABLE);
        return;
      }
      this.deps.log.error({ err, type: request.type }, 'realtime handler failed');
      conn.send(INTERNAL_ERROR);
    }
  }

  private changeSubscription(conn: HubConnection, action: 'subscribe' | 'unsubscribe', topic: unknown): object {
    if (typeof topic !== 'string' || topic.length === 0 || topic.length > 200) {
      return { type: 'error', status: 'error', message: 'topic must be a non-empty string of at most 200 characters' };
    }
    if (action === 'unsubscribe') {
      conn.topics.delete(topic);
      this.subscribers.get(topic)?.delete(conn);
      return { type: 'unsubscribed', topic };
    }
    if (topic === CHAT_PRESENCE_TOPIC) {
      if (!conn.user) return { type: 'error', status: 'error', message: 'Log in to chat to see who is online' };
    } else if (!this.topicRules.some((rule) => rule(topic))) {
      return { type: 'error', status: 'error', message: `Unknown topic: ${topic}` };
    }
    if (!conn.topics.has(topic) && conn.topics.size >= MAX_TOPICS_PER_CONNECTION) {
      return { type: 'error', status: 'error', message: `At most ${MAX_TOPICS_PER_CONNECTION} topics per connection` };
    }
    conn.topics.add(topic);
    let set = this.subscribers.get(topic);
    if (!set) this.subscribers.set(topic, (set = new Set()));
    set.add(conn);
    return { type: 'subscribed', topic };
  }

  /** Sends a chat event to every logged-in chat client on every node. */
  async broadcastChat(event: object): Promise<void> {
    await this.deps.pubsub.publish(RELAY_CHANNEL, `${CHAT_TOPIC}\n${JSON.stringify(event)}`);
  }

  /** Sends an event (which gets a `topic` field) to every subscriber of `topic` on every node. */
  async publish(topic: string, event: Record<string, unknown>): Promise<void> {
    if (topic.includes('\n')) throw new Error('topic names cannot contain newlines');
    await this.deps.pubsub.publish(RELAY_CHANNEL, `${topic}\n${JSON.stringify({ topic, ...event })}`);
  }

  /** Everyone in the chat room on any node, sorted (what `chat:presence` subscribers see). */
  chatOnline(): string[] {
    return this.roster.online();
  }

  private presenceEvent(online: string[]): OutgoingEvent {
    return OutgoingEvent.of({ type: 'presence', topic: CHAT_PRESENCE_TOPIC, online });
  }

  /** Roster changes go to this node's presence subscribers only: every node computes the same list. */
  private sendPresence(online: string[]): void {
    const targets = this.subscribers.get(CHAT_PRESENCE_TOPIC);
    if (!targets || targets.size === 0) return;
    const event = this.presenceEvent(online);
    for (const conn of targets) conn.send(event);
  }

  private deliver(message: string): void {
    const cut = message.indexOf('\n');
    if (cut < 0) return;
    const topic = message.slice(0, cut);
    const event = new OutgoingEvent(message.slice(cut + 1));
    const targets = topic === CHAT_TOPIC ? this.leases.members : this.subscribers.get(topic);
    if (targets) for (const conn of targets) conn.send(event);
    for (const listener of this.localListeners) listener(topic, event);
  }

  /**
   * Makes `conn` the user's one live connection. If another connection holds the user,
   * it is probed with `{"type":"ping"}`; a dead one is dropped and the claim proceeds.
   */
  claimUser(conn: HubConnection, user: BoundUser): Promise<boolean> {
    return this.leases.claim(conn, user);
  }

  /** True when the user holds a live connection on any node; a dead local holder is cleaned up first. */
  isUserLive(userId: number): Promise<boolean> {
    return this.leases.isLive(userId);
  }

  /** Ends the chat identity of a connection (logout, disconnect). */
  releaseUser(conn: HubConnection): Promise<void> {
    return this.leases.release(conn);
  }

  /** Closes connections with no frame for the idle timeout; returns how many. Runs every sweep interval. */
  sweepIdle(): number {
    const cutoff = this.deps.clock.now() - this.deps.idleTimeoutMs;
    let closed = 0;
    for (const conn of this.connections.values()) {
      const sweepable = conn.transport === 'tcp' || conn.user !== null;
      if (sweepable && conn.lastActivityAt <= cutoff) {
        conn.close('idle');
        void this.remove(conn);
        closed++;
      }
    }
    return closed;
  }
}
