import net from 'node:net';
import { WebSocket } from 'ws';

/** A JSON message as clients see it. */
export type Json = Record<string, any>;

/** A TCP port on 127.0.0.1 nobody listens on right now (for a server that must know its port before it starts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Collects JSON messages and lets a test wait for the next one or for one that matches. */
class Inbox {
  private readonly queue: Json[] = [];
  private readonly waiters: Array<{ match: (m: Json) => boolean; resolve: (m: Json) => void }> = [];
  closed = false;

  push(message: Json): void {
    const index = this.waiters.findIndex((w) => w.match(message));
    if (index >= 0) this.waiters.splice(index, 1)[0]!.resolve(message);
    else this.queue.push(message);
  }

  /** The first queued or future message matching `match` (default: any), or a timeout error. */
  next(match: (m: Json) => boolean = () => true, timeoutMs = 15_000): Promise<Json> {
    const index = this.queue.findIndex(match);
    if (index >= 0) return Promise.resolve(this.queue.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (m: Json) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no matching message within ${timeoutMs} ms; queued: ${JSON.stringify(this.queue).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Messages received and not yet taken. */
  pending(): Json[] {
    return [...this.queue];
  }
}

/** A raw TCP chat client: writes bytes, parses newline-delimited JSON from the server. */
export class TcpClient {
  readonly inbox = new Inbox();
  private buffered = '';
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let cut: number;
      while ((cut = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, cut);
        this.buffered = this.buffered.slice(cut + 1);
        if (line.trim()) this.inbox.push(JSON.parse(line));
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => ((this.inbox.closed = true), resolve())));
  }

  /** Connects to 127.0.0.1:port. */
  static connect(port: number): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new TcpClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes raw bytes or text exactly as given. */
  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Sends one object as a JSON line. */
  send(message: Json): void {
    this.socket.write(`${JSON.stringify(message)}\n`);
  }

  /** Sends and waits for the reply of the same `type` (or the given predicate). */
  async request(message: Json, match?: (m: Json) => boolean): Promise<Json> {
    this.send(message);
    return this.inbox.next(match ?? ((m) => m.type !== 'chat' || m.status !== undefined));
  }

  next(match?: (m: Json) => boolean, timeoutMs?: number): Promise<Json> {
    return this.inbox.next(match, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}

/** A WebSocket client on /ws: one JSON object per text frame. */
export class WsClient {
  readonly inbox = new Inbox();
  readonly closed: Promise<{ code: number }>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.inbox.push(JSON.parse(data.toString())));
    this.closed = new Promise((resolve) => socket.on('close', (code) => ((this.inbox.closed = true), resolve({ code }))));
  }

  /** Opens a connection to `url` (ws://host:port/ws). */
  static connect(url: string): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.once('open', () => resolve(new WsClient(socket)));
      socket.once('error', reject);
    });
  }

  send(message: Json): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Sends raw text as one frame. */
  sendText(text: string): void {
    this.socket.send(text);
  }

  async request(message: Json, match?: (m: Json) => boolean): Promise<Json> {
    this.send(message);
    return this.inbox.next(match ?? ((m) => m.type !== 'chat' || m.status !== undefined));
  }

  next(match?: (m: Json) => boolean, timeoutMs?: number): Promise<Json> {
    return this.inbox.next(match, timeoutMs);
  }

  close(): void {
    this.socket.terminate();
  }
}

/** A JSON HTTP call: status, parsed body (or raw text) and headers. */
export async function http(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | Uint8Array | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(baseUrl + path, { method, headers, body: body as BodyInit | undefined });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: the test sees the text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
