import type { Server as HttpServer } from 'node:http';
import { Server as SocketIoServer, type Socket } from 'socket.io';
import type { Clock } from '../../lib/clock.js';
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
}

/** The event name hub frames addressed to one connection (pings, future chat replies) use. */
export const SOCKETIO_MESSAGE_EVENT = 'message';

class SocketIoConnection implements HubConnection {
  readonly transport = 'socketio' as const;
  readonly topics = new Set<string>();
  user: BoundUser | null = null;
  lastActivityAt: number;

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

  close(_reason: string): void {
    this.socket.disconnect(true);
  }

  // Socket.IO clients send nothing the hub reads yet, so there is nothing to pause.
  pauseReading(): void {}
  resumeReading(): void {}
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
 * Each client becomes a hub connection, so the hub counts and closes it like any other;
 * hub events on the relayed topics reach every Socket.IO client on this node, and since
 * the hub delivers through its cross-node relay, every client on every node. Chat over
 * Socket.IO later means reading client frames into `hub.receive` and relaying the chat
 * topic. Returns a function that closes the endpoint without closing the HTTP server.
 */
export function attachSocketIo(
  server: HttpServer,
  hub: Hub,
  options: SocketIoEndpointOptions,
  deps: { clock: Clock },
): () => Promise<void> {
  const io = new SocketIoServer(server, {
    path: options.path,
    serveClient: false,
    maxHttpBufferSize: options.maxMessageBytes,
    cors: options.corsOrigins.length > 0 ? { origin: [...options.corsOrigins] } : undefined,
    // Other upgrade paths are answered (or refused) by the /ws endpoint.
    destroyUpgrade: false,
  });
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
    socket.on('disconnect', () => {
      live.delete(conn);
      void hub.remove(conn);
    });
  });

  const events = new Map(options.relays.map((r) => [r.topic, r.event]));
  hub.onDeliver((topic, event) => {
    const name = events.get(topic);
    if (closed || name === undefined || live.size === 0) return;
    io.emit(name, relayPayload(event));
  });

  return async () => {
    closed = true;
    // Tell each client it was disconnected on purpose (no reconnect storm from a clean stop)...
    for (const socket of io.of('/').sockets.values()) socket.disconnect(false);
    // ...then drop every transport at once: a polling client would otherwise hold the
    // process for engine.io's 30 s close timeout. Not io.close(): it would also close
    // the HTTP server, which Fastify owns.
    io.engine.close();
  };
}
