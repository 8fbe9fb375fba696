import type { Server as HttpServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Logger } from 'pino';
import { Server as SocketIoServer, type Socket } from 'socket.io';
import type { Clock } from '../../lib/clock.js';
import { closeRedisConnection, openRedisConnection } from '../state/redis-connection.js';
import type { BoundUser, HubConnection, OutgoingEvent } from './connection.js';
import type { Hub } from './hub.js';

/**
 * One hub topic re-emitted to every Socket.IO client as a named event. The payload is the
 * hub event without its envelope fields `topic` and `type` (the Socket.IO event name
 * carries that meaning), so `{"topic":"alerts","type":"alert","message":...}` arrives as
 * `socket.on('alert', {"message":...})`.
 */
export interface SocketIoRelay {
  topic: string;
  event: string;
}

/** How Socket.IO is served beside `/ws` on the HTTP port. */
export interface SocketIoEndpointOptions {
  /** Default `/socket.io`, what `io(url)` expects. */
  path: string;
  /** Largest message a client may send (Socket.IO's `maxHttpBufferSize`). */
  maxMessageBytes: number;
  /** Allowed cross-origin callers; empty = no CORS headers at all (browsers on other origins are refused). */
  corsOrigins: readonly string[];
  /** Hub topics every Socket.IO client receives, whatever it subscribed to. */
  relays: readonly SocketIoRelay[];
  /** Set in cluster mode: Socket.IO's own adapter then spans every node on this Redis. */
  redis?: { url: string; keyPrefix: string };
}

/**
 * The event name both ways for the hub protocol: a client emits `message` with a request
 * (the same JSON object as on TCP and /ws, or its text) and gets replies, pings and, once
 * logged in, chat broadcasts as `message` events.
 */
export const SOCKETIO_MESSAGE_EVENT = 'message';

/** Frames a client may send while the hub still has a full inbox of its earlier ones; past this it is dropped. */
const MAX_FRAMES_WHILE_PAUSED = 256;

class SocketIoConnection implements HubConnection {
  readonly transport = 'socketio' as const;
  readonly topics = new Set<string>();
  user: BoundUser | null = null;
  lastActivityAt: number;
  /** Frames received since the hub asked to pause; Socket.IO cannot stop reading, so this is bounded instead. */
  private pausedFrames: number | null = null;

  constructor(
    readonly id: string,
    private readonly socket: Socket,
    now: number,
  ) {
    this.lastActivityAt = now;
  }

  get remoteAddress(): string {
    return this.socket.handshake.address;
  }

  send(event: OutgoingEvent): boolean {
    if (!this.socket.connected) return false;
    this.socket.emit(SOCKETIO_MESSAGE_EVENT, parsedPayload(event));
    return true;
  }

  isOpen(): boolean {
    return this.socket.connected;
  }

  close(_reason: string, lastEvent?: OutgoingEvent): void {
    if (lastEvent) this.send(lastEvent);
    this.socket.disconnect(true);
  }

  /** False when the client floods past the bound while paused (it is then disconnected). */
  accept(): boolean {
    if (this.pausedFrames === null) return true;
    if (++this.pausedFrames <= MAX_FRAMES_WHILE_PAUSED) return true;
    this.socket.disconnect(true);
    return false;
  }

  pauseReading(): void {
    this.pausedFrames ??= 0;
  }
  resumeReading(): void {
    this.pausedFrames = null;
  }
}

/** The hub frame for one `message` emit: text as sent, an object as its JSON, anything else invalid. */
function frameOf(payload: unknown): string | null {
  if (typeof payload === 'string') return payload;
  if (payload !== null && typeof payload === 'object') {
    try {
      return JSON.stringify(payload);
    } catch {
      return null;
    }
  }
  return null;
}

/** Parses each shared event once, however many Socket.IO clients it goes to. */
const parsedEvents = new WeakMap<OutgoingEvent, unknown>();
function parsedPayload(event: OutgoingEvent): unknown {
  let parsed = parsedEvents.get(event);
  if (parsed === undefined) parsedEvents.set(event, (parsed = JSON.parse(event.json)));
  return parsed;
}

/** The relay payload: the hub event minus its `topic`/`type` envelope. */
function relayPayload(event: OutgoingEvent): Record<string, unknown> {
  const { topic: _topic, type: _type, ...body } = JSON.parse(event.json) as Record<string, unknown>;
  return body;
}

/**
 * Serves Socket.IO v4 on the HTTP server (polling and WebSocket upgrade under `path`).
 * Each client becomes a hub connection, so the hub counts and closes it like any other:
 * its `message` emits are hub frames (chat protocol, subscribe/unsubscribe), the replies
 * and the chat broadcast come back as `message`. Hub events on the relayed topics reach
 * every Socket.IO client on this node, and since the hub delivers through its cross-node
 * relay, every client on every node. Returns a function that closes the endpoint
 * without closing the HTTP server.
 */
export function attachSocketIo(
  server: HttpServer,
  hub: Hub,
  options: SocketIoEndpointOptions,
  deps: { clock: Clock; log: Logger },
): () => Promise<void> {
  const io = new SocketIoServer(server, {
    path: options.path,
    serveClient: false,
    maxHttpBufferSize: options.maxMessageBytes,
    cors: options.corsOrigins.length > 0 ? { origin: [...options.corsOrigins] } : undefined,
    // Other upgrade paths are answered (or refused) by the /ws endpoint.
    destroyUpgrade: false,
  });
  const closeAdapter = options.redis ? useRedisAdapter(io, options.redis, deps.log) : async () => {};
  const live = new Set<SocketIoConnection>();
  let closed = false;

  io.on('connection', (socket) => {
    if (closed) {
      socket.disconnect(true);
      return;
    }
    const conn = new SocketIoConnection(hub.newConnectionId('s'), socket, deps.clock.now());
    live.add(conn);
    hub.add(conn);
    socket.on(SOCKETIO_MESSAGE_EVENT, (payload: unknown) => {
      if (!conn.accept()) return;
      const frame = frameOf(payload);
      if (frame === null) hub.receiveInvalid(conn);
      else hub.receive(conn, frame);
    });
    socket.on('disconnect', () => {
      live.delete(conn);
      void hub.remove(conn);
    });
  });

  const events = new Map(options.relays.map((r) => [r.topic, r.event]));
  hub.onDeliver((topic, event) => {
    const name = events.get(topic);
    if (closed || name === undefined || live.size === 0) return;
    // Local only: every node gets the hub event through the hub's relay and serves its
    // own clients; a cluster-wide io.emit here would hand each client one copy per node.
    io.local.emit(name, relayPayload(event));
  });

  return async () => {
    closed = true;
    // Tell each client it was disconnected on purpose (no reconnect storm from a clean stop)...
    for (const socket of io.of('/').sockets.values()) socket.disconnect(false);
    // ...then drop every transport at once: a polling client would otherwise hold the
    // process for engine.io's 30 s close timeout. Not io.close(): it would also close
    // the HTTP server, which Fastify owns.
    io.engine.close();
    await closeAdapter();
  };
}

/**
 * Cluster mode: Socket.IO's Redis adapter, on two connections of its own (its subscriber
 * sits in subscriber mode) and channels under `<REDIS_PREFIX>socket.io`. The hub relay
 * already carries every chat message and topic event to every node; what the adapter adds
 * is Socket.IO's own cross-node API: `io.emit`/`io.to(room).emit` without `.local`,
 * rooms that span nodes, `fetchSockets()`, `disconnectSockets()` and `serverSideEmit()`
 * reaching the sockets and servers of every node. Returns its closer.
 */
function useRedisAdapter(io: SocketIoServer, redis: { url: string; keyPrefix: string }, log: Logger): () => Promise<void> {
  const pub = openRedisConnection(redis.url, 'socketio-pub', log);
  const sub = openRedisConnection(redis.url, 'socketio-sub', log);
  io.adapter(createAdapter(pub, sub, { key: `${redis.keyPrefix}socket.io` }));
  return async () => {
    await Promise.resolve(io.of('/').adapter.close()).catch(() => {});
    await Promise.all([closeRedisConnection(pub), closeRedisConnection(sub)]);
  };
}
