import net from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { JsonFrameSplitter } from '../../lib/json-frame-splitter.js';
import { OutgoingEvent, type BoundUser, type HubConnection } from './connection.js';
import type { Hub } from './hub.js';

const FRAME_TOO_LARGE = OutgoingEvent.of({ type: 'error', status: 'error', message: 'Frame too large' });

/** Limits for raw TCP clients. */
export interface TcpEndpointOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  maxOutgoingBufferBytes: number;
  /** Pending-connection queue; the kernel caps it at net.core.somaxconn. */
  backlog: number;
}

class TcpConnection implements HubConnection {
  readonly transport = 'tcp' as const;
  readonly topics = new Set<string>();
  user: BoundUser | null = null;
  lastActivityAt: number;
  readonly remoteAddress: string;

  constructor(
    readonly id: string,
    private readonly socket: net.Socket,
    private readonly maxOutgoingBufferBytes: number,
    now: number,
  ) {
    this.lastActivityAt = now;
    this.remoteAddress = socket.remoteAddress ?? '';
  }

  send(event: OutgoingEvent): boolean {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return false;
    socket.write(event.tcpLine);
    if (socket.writableLength > this.maxOutgoingBufferBytes) {
      // A client that does not read must not hold memory or delay anyone else.
      socket.destroy();
      return false;
    }
    return true;
  }

  isOpen(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  close(): void {
    this.socket.destroy();
  }

  /** Sends a last event, then closes once it is flushed. */
  endWith(event: OutgoingEvent): void {
    if (!this.socket.writable) {
      this.socket.destroy();
      return;
    }
    this.socket.end(event.tcpLine);
    // A peer that never closes its side must not keep the connection open.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }
}

/**
 * The raw TCP side of the hub: JSON objects in (any framing old clients use, see
 * JsonFrameSplitter), one JSON object plus `\n` out per event.
 */
export async function listenTcp(
  hub: Hub,
  options: TcpEndpointOptions,
  deps: { clock: Clock; log: Logger },
): Promise<net.Server> {
  const server = net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => {
    const conn = new TcpConnection(hub.newConnectionId('t'), socket, options.maxOutgoingBufferBytes, deps.clock.now());
    const splitter = new JsonFrameSplitter(options.maxFrameBytes);
    hub.add(conn);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) {
        if (frame.kind === 'text') hub.receive(conn, frame.text);
        else if (frame.kind === 'invalid') hub.receiveInvalid(conn);
        else {
          conn.endWith(FRAME_TOO_LARGE);
          socket.removeAllListeners('data');
          return;
        }
      }
    });
    socket.on('error', (err) => deps.log.debug({ err: err.message }, 'tcp client error'));
    socket.on('close', () => void hub.remove(conn));
  });
  server.on('error', (err) => deps.log.error({ err }, 'tcp server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, backlog: options.backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
