import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { isAppError } from '../errors.js';
import type { PubSub } from '../state/types.js';
import { OutgoingEvent, type HubConnection } from './connection.js';

/** Handles one request type arriving on a realtime connection; the returned object is sent back. */
export type MessageHandler = (conn: HubConnection, message: Record<string, unknown>) => Promise<object | void>;

/** What the hub needs from the rest of the engine. */
export interface HubDeps {
  nodeId: string;
  clock: Clock;
  log: Logger;
  pubsub: PubSub;
  /** A connection with no frame for this long is closed by the sweep. */
  idleTimeoutMs: number;
  /** How often the idle sweep runs. */
  sweepIntervalMs: number;
}

/** Who may subscribe to a surface's topics, and what a new subscriber is sent first. */
export interface TopicAccess {
  /** Why `conn` may not subscribe to `topic` (the error message it gets), or null when it may. */
  refusal?(conn: HubConnection, topic: string): string | null;
  /** An event sent right after the `subscribed` answer (the topic's current state), or null. */
  opening?(conn: HubConnection, topic: string): object | null;
}

interface TopicRule extends TopicAccess {
  accepts(topic: string): boolean;
}

const RELAY_CHANNEL = 'hub:events';
const MAX_TOPICS_PER_CONNECTION = 100;
const MAX_QUEUED_FRAMES = 64;

const INVALID_JSON = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Invalid JSON' });
const UNKNOWN_TYPE = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Unknown type' });
const INTERNAL_ERROR = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Internal error' });
const UNAVAILABLE = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Service unavailable' });
const NUL_IN_TEXT = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Text may not contain NUL characters' });
const LONE_SURROGATE_IN_TEXT = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Text may not contain unpaired surrogates' });

/** The answer to a frame over the size limit; the connection is closed right after it. */
export const FRAME_TOO_LARGE = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Frame too large' });

/** Why a connection is closed after a frame over the size limit (WebSocket maps it to close code 1009). */
export const FRAME_TOO_LARGE_REASON = 'frame too large';

/** A frame to handle, or an answer already known that must still go out in its turn. */
type InboxItem = { text: string } | { answer: OutgoingEvent; closeReason?: string };

interface Inbox {
  frames: InboxItem[];
  running: boolean;
  paused: boolean;
}

const NUL = /\u0000/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The refusal for a request holding text no database can store (a NUL character, or an
 * unpaired surrogate PostgreSQL cannot encode as UTF-8) in any key or string value, at any
 * depth; null when all its text is storable. Walks with its own stack, so nesting depth
 * cannot overflow the call stack.
 */
function unstorableTextAnswer(request: object): OutgoingEvent | null {
  const pending: unknown[] = [request];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (NUL.test(value)) return NUL_IN_TEXT;
      if (LONE_SURROGATE.test(value)) return LONE_SURROGATE_IN_TEXT;
    } else if (Array.isArray(value)) pending.push(...value);
    else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) pending.push(key, inner);
    }
  }
  return null;
}

/**
 * The one place that knows every realtime client on this node, across TCP, WebSocket
 * and Socket.IO. It routes incoming frames (in order, per connection) to the handlers
 * surfaces register, keeps topic subscriptions and fans events out; surfaces bring their
 * own protocols, topics and rooms (chat's room, with its one-connection-per-user leases
 * and roster, lives in the chat surface). Every broadcast goes through pub/sub, so with
 * Redis behind it several nodes behave as one.
 */
export class Hub {
  private readonly connections = new Map<string, HubConnection>();
  private readonly subscribers = new Map<string, Set<HubConnection>>();
  private readonly handlers = new Map<string, MessageHandler>();
  private readonly topicRules: TopicRule[] = [];
  private readonly inboxes = new WeakMap<HubConnection, Inbox>();
  private readonly localListeners: Array<(topic: string, event: OutgoingEvent) => void> = [];
  private readonly frameListeners: Array<(conn: HubConnection) => void> = [];
  private readonly removeListeners: Array<(conn: HubConnection) => Promise<void>> = [];
  private readonly stopListeners: Array<() => Promise<void>> = [];
  private unsubscribeRelay: (() => Promise<void>) | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private nextId = 1;

  constructor(private readonly deps: HubDeps) {}

  /** Joins the cross-node relay and starts the idle sweep. */
  async start(): Promise<void> {
    this.unsubscribeRelay = await this.deps.pubsub.subscribe(RELAY_CHANNEL, (message) => this.deliver(message));
    this.sweeper = setInterval(() => this.sweepIdle(), this.deps.sweepIntervalMs);
    this.sweeper.unref();
  }

  /** Closes every connection (each is removed as usual), then stops what surfaces attached, then leaves the relay. */
  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    for (const conn of [...this.connections.values()]) {
      conn.close('server shutting down');
      await this.remove(conn);
    }
    for (const listener of this.stopListeners.splice(0).reverse()) await listener();
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

  /** Lets clients subscribe to topics the rule accepts (surfaces own their topic names), as `access` allows. */
  allowTopics(accepts: (topic: string) => boolean, access: TopicAccess = {}): void {
    this.topicRules.push({ ...access, accepts });
  }

  /** Observes every event delivered on this node (Socket.IO bridging, tests). */
  onDeliver(listener: (topic: string, event: OutgoingEvent) => void): void {
    this.localListeners.push(listener);
  }

  /** Hears every frame received, before it is handled (a lease kept alive by traffic). */
  onFrame(listener: (conn: HubConnection) => void): void {
    this.frameListeners.push(listener);
  }

  /** Hears every connection removed (closed, dropped, swept), after its topics are gone. */
  onRemove(listener: (conn: HubConnection) => Promise<void>): void {
    this.removeListeners.push(listener);
  }

  /** Runs at `stop`, after every connection is closed, in the reverse order of registration. */
  onStop(listener: () => Promise<void>): void {
    this.stopListeners.push(listener);
  }

  /** The open connection with this id on this node, if any. */
  connection(id: string): HubConnection | undefined {
    return this.connections.get(id);
  }

  /** True while the connection is handling one of its own frames (so it is plainly alive). */
  isBusy(conn: HubConnection): boolean {
    return this.inboxes.get(conn)?.running === true;
  }

  /** Subscribes `conn` to `topic` on the server's own decision (a room joined at login), whatever the rules. */
  join(conn: HubConnection, topic: string): void {
    conn.topics.add(topic);
    let set = this.subscribers.get(topic);
    if (!set) this.subscribers.set(topic, (set = new Set()));
    set.add(conn);
  }

  /** Ends `conn`'s subscription to `topic`. */
  leave(conn: HubConnection, topic: string): void {
    conn.topics.delete(topic);
    this.subscribers.get(topic)?.delete(conn);
  }

  /** Sends `event` to the subscribers of `topic` on this node only. */
  sendLocal(topic: string, event: OutgoingEvent): void {
    const targets = this.subscribers.get(topic);
    if (targets) for (const conn of targets) conn.send(event);
  }

  /** Starts tracking a newly accepted connection. */
  add(conn: HubConnection): void {
    this.connections.set(conn.id, conn);
    this.inboxes.set(conn, { frames: [], running: false, paused: false });
  }

  /** Forgets a closed connection: its topics, then whatever surfaces keep for it (`onRemove`). */
  async remove(conn: HubConnection): Promise<void> {
    if (!this.connections.delete(conn.id)) return;
    for (const topic of conn.topics) this.subscribers.get(topic)?.delete(conn);
    conn.topics.clear();
    for (const listener of this.removeListeners) {
      await listener(conn).catch((err) => this.deps.log.warn({ err, conn: conn.id }, 'realtime connection cleanup failed'));
    }
  }

  /** Number of open connections on this node. */
  get size(): number {
    return this.connections.size;
  }

  /** Accepts one received frame; frames of a connection are handled one at a time, in order. */
  receive(conn: HubConnection, text: string): void {
    conn.lastActivityAt = this.deps.clock.now();
    for (const listener of this.frameListeners) listener(conn);
    const inbox = this.inboxes.get(conn);
    if (inbox) this.enqueue(conn, inbox, { text });
  }

  /**
   * Answers a frame the transport could not even split (stray text): Invalid JSON, after the
   * answers to the frames before it; the connection is kept.
   */
  receiveInvalid(conn: HubConnection): void {
    conn.lastActivityAt = this.deps.clock.now();
    for (const listener of this.frameListeners) listener(conn);
    const inbox = this.inboxes.get(conn);
    if (inbox) this.enqueue(conn, inbox, { answer: INVALID_JSON });
  }

  /**
   * Answers a frame over the size limit with FRAME_TOO_LARGE, after the answers to the
   * frames before it, then closes the connection (FRAME_TOO_LARGE_REASON). The transport
   * stops reading from it.
   */
  receiveOversized(conn: HubConnection): void {
    const inbox = this.inboxes.get(conn);
    if (inbox) this.enqueue(conn, inbox, { answer: FRAME_TOO_LARGE, closeReason: FRAME_TOO_LARGE_REASON });
    else conn.close(FRAME_TOO_LARGE_REASON, FRAME_TOO_LARGE);
  }

  private enqueue(conn: HubConnection, inbox: Inbox, item: InboxItem): void {
    inbox.frames.push(item);
    if (inbox.frames.length > MAX_QUEUED_FRAMES && !inbox.paused) {
      inbox.paused = true;
      conn.pauseReading();
    }
    if (!inbox.running) void this.drain(conn, inbox);
  }

  private async drain(conn: HubConnection, inbox: Inbox): Promise<void> {
    inbox.running = true;
    while (inbox.frames.length > 0 && conn.isOpen()) {
      const item = inbox.frames.shift()!;
      if ('text' in item) await this.dispatch(conn, item.text);
      else if (item.closeReason) conn.close(item.closeReason, item.answer);
      else conn.send(item.answer);
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
    const unstorable = unstorableTextAnswer(message);
    if (unstorable) {
      conn.send(unstorable);
      return;
    }
    const request = message as Record<string, unknown>;
    if (request.type === 'subscribe' || request.type === 'unsubscribe') {
      const { answer, opening } = this.changeSubscription(conn, request.type, request.topic);
      conn.send(OutgoingEvent.of(answer));
      if (opening) conn.send(OutgoingEvent.of(opening));
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

  private changeSubscription(conn: HubConnection, action: 'subscribe' | 'unsubscribe', topic: unknown): { answer: object; opening?: object | null } {
    const refused = (message: string) => ({ answer: { type: 'error', status: 'error', message } });
    if (typeof topic !== 'string' || topic.length === 0 || topic.length > 200) {
      return refused('topic must be a non-empty string of at most 200 characters');
    }
    if (action === 'unsubscribe') {
      this.leave(conn, topic);
      return { answer: { type: 'unsubscribed', topic } };
    }
    const rule = this.topicRules.find((r) => r.accepts(topic));
    if (!rule) return refused(`Unknown topic: ${topic}`);
    const refusal = rule.refusal?.(conn, topic);
    if (refusal) return refused(refusal);
    if (!conn.topics.has(topic) && conn.topics.size >= MAX_TOPICS_PER_CONNECTION) {
      return refused(`At most ${MAX_TOPICS_PER_CONNECTION} topics per connection`);
    }
    this.join(conn, topic);
    return { answer: { type: 'subscribed', topic }, opening: rule.opening?.(conn, topic) };
  }

  /** Sends `event`, unchanged, to every subscriber of `topic` on every node (a room's members). */
  async broadcast(topic: string, event: object): Promise<void> {
    if (topic.includes('\n')) throw new Error('topic names cannot contain newlines');
    await this.deps.pubsub.publish(RELAY_CHANNEL, `${topic}\n${JSON.stringify(event)}`);
  }

  /** Sends an event (which gets a `topic` field) to every subscriber of `topic` on every node. */
  async publish(topic: string, event: Record<string, unknown>): Promise<void> {
    if (topic.includes('\n')) throw new Error('topic names cannot contain newlines');
    await this.deps.pubsub.publish(RELAY_CHANNEL, `${topic}\n${JSON.stringify({ topic, ...event })}`);
  }

  private deliver(message: string): void {
    const cut = message.indexOf('\n');
    if (cut < 0) return;
    const topic = message.slice(0, cut);
    const event = new OutgoingEvent(message.slice(cut + 1));
    this.sendLocal(topic, event);
    for (const listener of this.localListeners) listener(topic, event);
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
