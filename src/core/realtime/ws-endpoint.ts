import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { Clock } from '../../lib/clock.js';
import type { BoundUser, HubConnection, OutgoingEvent } from './connection.js';
import { FRAME_TOO_LARGE_REASON, type Hub } from './hub.js';

/** The close code for a message over the size limit (RFC 6455 "message too big"). */
const MESSAGE_TOO_BIG = 1009;

/**
 * A server-side socket that hands a message over the size limit to `onOversized` instead of
 * closing at once: `ws` closes with 1009 as soon as it reads the frame's length, and the
 * client must first get the JSON error (the hub sends it, then closes).
 */
class SizeLimitedWebSocket extends WebSocket {
  onOversized: (() => void) | null = null;

  override close(code?: number, data?: string | Buffer): void {
    const onOversized = this.onOversized;
    if (code === MESSAGE_TOO_BIG && onOversized && this.readyState === WebSocket.OPEN) {
      this.onOversized = null;
      onOversized();
      return;
    }
    super.close(code, data);
  }
}

/** True for the error `ws` raises when a message is over `maxPayload`. */
function isOversizedMessageError(err: Error): boolean {
  return (err as Error & { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
}

/** Limits for WebSocket clients. */
export interface WsEndpointOptions {
  path: string;
  maxFrameBytes: number;
  maxOutgoingBufferBytes: number;
  /** How often the server pings; a client that missed the previous pong is cut. */
  pingIntervalMs: number;
  /** Path prefixes whose upgrades another endpoint on the same server answers (Socket.IO's). */
  passThroughPaths?: readonly string[];
}

class WsConnection implements HubConnection {
  readonly transport = 'ws' as const;
  readonly topics = new Set<string>();
  user: BoundUser | null = null;
  lastActivityAt: number;
  answeredPing = true;

  constructor(
    readonly id: string,
    private readonly socket: SizeLimitedWebSocket,
    readonly remoteAddress: string,
    private readonly maxOutgoingBufferBytes: number,
    now: number,
  ) {
    this.lastActivityAt = now;
  }

  send(event: OutgoingEvent): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(event.wsPayload, { binary: false });
    if (this.socket.bufferedAmount > this.maxOutgoingBufferBytes) {
      this.socket.terminate();
      return false;
    }
    return true;
  }

  isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  close(reason: string, lastEvent?: OutgoingEvent): void {
    if (lastEvent) this.send(lastEvent);
    if (reason === FRAME_TOO_LARGE_REASON) this.socket.close(MESSAGE_TOO_BIG, reason);
    else if (reason === 'idle' || reason === 'server shutting down') this.socket.close(1001, reason);
    else this.socket.terminate();
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  ping(): void {
    this.answeredPing = false;
    this.socket.ping();
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/**
 * Serves `/ws` on the HTTP server: one JSON object per text frame, carrying the chat
 * protocol and topic subscriptions. A message over the size limit is answered with the
 * JSON error, then closed with 1009. Returns a function that closes the endpoint.
 */
export function attachWebSocket(
  server: Server,
  hub: Hub,
  options: WsEndpointOptions,
  deps: { clock: Clock },
): () => Promise<void> {
  const wss = new WebSocketServer({
    WebSocket: SizeLimitedWebSocket,
    noServer: true,
    maxPayload: options.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const live = new Set<WsConnection>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== options.path) {
      if (options.passThroughPaths?.some((prefix) => path.startsWith(prefix))) return;
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new WsConnection(
        hub.newConnectionId('w'),
        ws,
        req.socket.remoteAddress ?? '',
        options.maxOutgoingBufferBytes,
        deps.clock.now(),
      );
      live.add(conn);
      hub.add(conn);
      ws.onOversized = () => hub.receiveOversized(conn);
      ws.on('message', (data, isBinary) => {
        if (isBinary) {
          hub.receiveInvalid(conn);
          return;
        }
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        hub.receive(conn, bytes.toString('utf8'));
      });
      ws.on('pong', () => (conn.answeredPing = true));
      // The oversized-message error is the hub's to answer; it closes the socket after.
      ws.on('error', (err) => {
        if (!isOversizedMessageError(err)) ws.terminate();
      });
      ws.on('close', () => {
        live.delete(conn);
        void hub.remove(conn);
      });
    });
  });

  const pinger = setInterval(() => {
    for (const conn of live) {
      if (!conn.answeredPing) conn.terminate();
      else conn.ping();
    }
  }, options.pingIntervalMs);
  pinger.unref();

  return async () => {
    clearInterval(pinger);
    for (const conn of live) conn.close('server shutting down');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
