import net from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../lib/clock.js';
import { JsonFrameSplitter } from '../../lib/json-frame-splitter.js';
import { readProxyV1Header } from '../../lib/proxy-protocol.js';
import type { BoundUser, HubConnection, OutgoingEvent } from './connection.js';
import type { Hub } from './hub.js';

/** Limits for raw TCP clients. */
export interface TcpEndpointOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  maxOutgoingBufferBytes: number;
  /** Pending-connection queue; the kernel caps it at net.core.somaxconn. */
  backlog: number;
  /**
   * Every connection starts with a PROXY protocol v1 header (a TCP proxy such as nginx
   * with `proxy_protocol on` in front): the client's address comes from it. A connection
   * without a valid header within PROXY_HEADER_TIMEOUT_MS is closed.
   */
  proxyProtocol?: boolean;
}

/** How long a connection may take to send its PROXY header. */
export const PROXY_HEADER_TIMEOUT_MS = 5000;

class TcpConnection implements HubConnection {
  readonly transport = 'tcp' as const;
  readonly topics = new Set<string>();
  user: BoundUser | null = null;
  lastActivityAt: number;

  constructor(
    readonly id: string,
    private readonly socket: net.Socket,
    private readonly maxOutgoingBufferBytes: number,
    now: number,
    readonly remoteAddress: string,
  ) {
    this.lastActivityAt = now;
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

  close(_reason: string, lastEvent?: OutgoingEvent): void {
    if (lastEvent) this.endWith(lastEvent);
    else this.socket.destroy();
  }

  /** Sends a last event, then closes once it is flushed. */
  private endWith(event: OutgoingEvent): void {
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
 * JsonFrameSplitter), one JSON object plus `\n` out per event. Whatever bytes arrive,
 * every frame the splitter yields gets exactly one answer, in order.
 */
export async function listenTcp(
  hub: Hub,
  options: TcpEndpointOptions,
  deps: { clock: Clock; log: Logger },
): Promise<net.Server> {
  /** Serves a client from its first bytes of JSON on, at `remoteAddress`. */
  const serve = (socket: net.Socket, remoteAddress: string, firstBytes: Buffer | null) => {
    const conn = new TcpConnection(hub.newConnectionId('t'), socket, options.maxOutgoingBufferBytes, deps.clock.now(), remoteAddress);
    const splitter = new JsonFrameSplitter(options.maxFrameBytes);
    hub.add(conn);
    const onData = (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) {
        if (frame.kind === 'text') hub.receive(conn, frame.text);
        else if (frame.kind === 'invalid') hub.receiveInvalid(conn);
        else {
          socket.removeAllListeners('data');
          hub.receiveOversized(conn);
          return;
        }
      }
    };
    socket.on('data', onData);
    socket.on('close', () => void hub.remove(conn));
    if (firstBytes && firstBytes.length > 0) onData(firstBytes);
  };

  /** Reads the PROXY header, then serves the client at the address it names. */
  const serveProxied = (socket: net.Socket) => {
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => socket.destroy(), PROXY_HEADER_TIMEOUT_MS);
    timer.unref();
    const onHead = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const header = readProxyV1Header(head);
      if (header.kind === 'incomplete') return;
      clearTimeout(timer);
      socket.off('data', onHead);
      if (header.kind === 'invalid') {
        deps.log.warn({ peer: socket.remoteAddress }, 'tcp connection without a valid PROXY header closed');
        socket.destroy();
        return;
      }
      serve(socket, header.source ?? socket.remoteAddress ?? '', head.subarray(header.length));
    };
    socket.on('data', onHead);
    socket.on('close', () => clearTimeout(timer));
  };

  const server = net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) => {
    socket.on('error', (err) => deps.log.debug({ err: err.message }, 'tcp client error'));
    if (options.proxyProtocol) serveProxied(socket);
    else serve(socket, socket.remoteAddress ?? '', null);
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
