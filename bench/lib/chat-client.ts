/**
 * One bench chat client over raw TCP (newline-delimited JSON) or WebSocket (one
 * JSON object per text frame), speaking the chat wire protocol of
 * /work/shared/spec/chat.md just far enough to get into the room: optionally
 * `register`, then `login`, after which every broadcast
 * `{"type":"chat","user","message","avatar"}` is handed to `onBroadcast` with the
 * send timestamp the bench sender put at the front of the message text.
 *
 * The load generator handles tens of thousands of broadcasts a second and must
 * stay cheaper than the server it measures, so TCP reads land in one shared
 * buffer (`onread`, no stream machinery) and a compact broadcast is recognised
 * by its `"user":"` and `"message":"` keys without JSON.parse or a string copy.
 * Anything else (handshake replies, errors, pings, or a broadcast formatted
 * differently) is parsed as JSON.
 */
import net from 'node:net';
import WebSocket from 'ws';

export type Transport = 'tcp' | 'ws';

/**
 * How far a client goes before it counts as connected:
 * - `login`: register (an existing name is fine), then log in; receives broadcasts.
 * - `probe`: send one `heartbeat` without a token and wait for any reply, which proves
 *   the server accepted the connection at application level; then stays silent.
 * - `none`: the TCP/WebSocket connection alone.
 */
export type Handshake = 'login' | 'probe' | 'none';

/** Where the server under test listens (always 127.0.0.1 in this bench). */
export interface Target {
  host: string;
  tcpPort: number;
  httpPort: number;
}

export interface ChatClientOptions {
  target: Target;
  transport: Transport;
  handshake: Handshake;
  username: string;
  password: string;
  /** Whole handshake (connect + register + login) must finish within this. */
  timeoutMs: number;
  /** WebSocket only: offer permessage-deflate as browsers do. */
  wsDeflate: boolean;
  /** Called for each chat broadcast once connected; `sendTs` is NaN when the text carries no bench timestamp. */
  onBroadcast?: (sendTs: number) => void;
  /** Called for each non-broadcast message once connected (parsed JSON, or the raw text if unparsable). */
  onOther?: (message: unknown) => void;
  /** Called once when a connected client's connection ends. */
  onClose?: (reason: string) => void;
}

/** A connected (and, with `login`, logged-in) bench client. */
export interface ChatClient {
  readonly transport: Transport;
  readonly username: string;
  /** The chat token from login; null for other handshakes. */
  readonly token: string | null;
  sendJson(message: object): void;
  close(): void;
}

/** Thrown when a client does not get through its handshake; `reason` is short and groupable. */
export class HandshakeError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'HandshakeError';
  }
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;
/** `user":"` and `message":"`, the bytes after the opening quote of the two keys a broadcast has. */
const USER_TAIL = Buffer.from('user":"');
const MESSAGE_TAIL = Buffer.from('message":"');

function matchesAt(bytes: Buffer, at: number, end: number, tail: Buffer): boolean {
  if (at + tail.length > end) return false;
  for (let i = 0; i < tail.length; i++) if (bytes[at + i] !== tail[i]) return false;
  return true;
}

/**
 * The send timestamp at the front of a bench broadcast in `bytes[start, end)`, or null when the
 * bytes are not recognisably a compact broadcast (then the caller parses them as JSON). One pass
 * over the quotes and a hand-rolled number parse: no string is created.
 */
export function fastBroadcastSendTime(bytes: Buffer, start: number, end: number): number | null {
  let sawUser = false;
  let message = -1;
  for (let i = start; i < end; i++) {
    if (bytes[i] !== QUOTE) continue;
    if (!sawUser && matchesAt(bytes, i + 1, end, USER_TAIL)) sawUser = true;
    else if (message < 0 && matchesAt(bytes, i + 1, end, MESSAGE_TAIL)) message = i + 1 + MESSAGE_TAIL.length;
    if (sawUser && message >= 0) break;
  }
  if (!sawUser || message < 0) return null;
  let value = 0;
  let i = message;
  let c = bytes[i]!;
  if (!(c >= 0x30 && c <= 0x39)) return Number.NaN;
  while (i < end && c >= 0x30 && c <= 0x39) {
    value = value * 10 + (c - 0x30);
    c = bytes[++i]!;
  }
  if (c === 0x2e) {
    let scale = 0.1;
    c = bytes[++i]!;
    while (i < end && c >= 0x30 && c <= 0x39) {
      value += (c - 0x30) * scale;
      scale /= 10;
      c = bytes[++i]!;
    }
  }
  return value;
}

/** The send timestamp in a broadcast's message text, NaN when there is none. */
function sendTimeOfText(message: unknown): number {
  return typeof message === 'string' ? parseFloat(message) : Number.NaN;
}

/** One buffer for every TCP read in the process: reads are handled synchronously, so no two overlap. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

interface Wire {
  write(text: string): void;
  destroy(): void;
}

/** Opens one client and resolves once its handshake is done; rejects with HandshakeError otherwise. */
export function openChatClient(options: ChatClientOptions): Promise<ChatClient> {
  return new Promise<ChatClient>((resolve, reject) => {
    let state: 'connecting' | 'registering' | 'logging-in' | 'probing' | 'ready' | 'closed' = 'connecting';
    let token: string | null = null;
    let wire: Wire | null = null;

    const timer = setTimeout(() => fail(`timeout while ${state}`), options.timeoutMs);

    const client: ChatClient = {
      transport: options.transport,
      username: options.username,
      get token() {
        return token;
      },
      sendJson(message) {
        wire?.write(JSON.stringify(message));
      },
      close() {
        if (state !== 'closed') {
          state = 'closed';
          clearTimeout(timer);
          wire?.destroy();
        }
      },
    };

    function fail(reason: string): void {
      if (state === 'ready' || state === 'closed') return;
      state = 'closed';
      clearTimeout(timer);
      wire?.destroy();
      reject(new HandshakeError(reason));
    }

    function ended(reason: string): void {
      if (state === 'ready') {
        state = 'closed';
        options.onClose?.(reason);
      } else if (state !== 'closed') {
        fail(`${reason} while ${state}`);
      }
    }

    function becomeReady(): void {
      state = 'ready';
      clearTimeout(timer);
      resolve(client);
    }

    function onConnected(): void {
      if (options.handshake === 'none') return becomeReady();
      if (options.handshake === 'probe') {
        state = 'probing';
        return wire!.write('{"type":"heartbeat"}');
      }
      state = 'registering';
      wire!.write(JSON.stringify({ type: 'register', username: options.username, password: options.password }));
    }

    /** One whole message in `bytes[start, end)`. */
    function onMessage(bytes: Buffer, start: number, end: number): void {
      if (state === 'ready') {
        const fast = fastBroadcastSendTime(bytes, start, end);
        if (fast !== null) return options.onBroadcast?.(fast);
        const parsed = parseOrRaw(bytes.toString('utf8', start, end)) as { type?: unknown; user?: unknown; message?: unknown };
        const isBroadcast = typeof parsed === 'object' && parsed !== null && parsed.type === 'chat' && typeof parsed.user === 'string';
        if (isBroadcast) options.onBroadcast?.(sendTimeOfText(parsed.message));
        else options.onOther?.(parsed);
        return;
      }
      if (state === 'closed' || state === 'connecting') return;
      const message = parseOrRaw(bytes.toString('utf8', start, end)) as { type?: unknown; status?: unknown; token?: unknown };
      const type = typeof message === 'object' && message !== null ? String(message.type) : 'unparsable';
      if (state === 'probing') return becomeReady();
      if (state === 'registering') {
        if (type === 'ping') return;
        // register_1: created; register_0: the name exists (a re-run), which is fine for a login.
        if (type !== 'register_1' && type !== 'register_0') return fail(`register answered ${type}`);
        state = 'logging-in';
        wire!.write(JSON.stringify({ type: 'login', username: options.username, password: options.password }));
        return;
      }
      if (state === 'logging-in') {
        if (type === 'ping') return;
        if (type !== 'login') return fail(`login answered type ${type}`);
        if (message.status !== 'success') return fail(`login answered status ${String(message.status)}`);
        token = typeof message.token === 'string' ? message.token : null;
        becomeReady();
      }
    }

    if (options.transport === 'tcp') {
      // `onread` hands each read to us in a shared buffer: no per-read Buffer, no stream machinery.
      let pending: Buffer | null = null;
      const onRead = (nread: number, shared: Buffer): boolean => {
        const bytes = shared.subarray(0, nread);
        let start = 0;
        let newline = bytes.indexOf(NEWLINE, 0);
        if (pending !== null) {
          if (newline < 0) {
            pending = Buffer.concat([pending, bytes.subarray(0, nread)]);
            return true;
          }
          const whole: Buffer = Buffer.concat([pending, bytes.subarray(0, newline)]);
          pending = null;
          onMessage(whole, 0, whole.length);
          start = newline + 1;
          newline = bytes.indexOf(NEWLINE, start);
        }
        while (newline >= 0) {
          if (newline > start) onMessage(bytes, start, newline);
          start = newline + 1;
          newline = bytes.indexOf(NEWLINE, start);
        }
        if (start < nread) pending = Buffer.from(bytes.subarray(start, nread));
        return true;
      };
      const socket = net.connect({
        host: options.target.host,
        port: options.target.tcpPort,
        noDelay: true,
        onread: { buffer: READ_BUFFER, callback: onRead },
      });
      wire = { write: (text) => void socket.write(`${text}\n`), destroy: () => socket.destroy() };
      socket.on('connect', onConnected);
      socket.on('error', (error: NodeJS.ErrnoException) => ended(error.code ?? error.message));
      socket.on('close', () => ended('closed by server'));
    } else {
      const url = `ws://${options.target.host}:${options.target.httpPort}/ws`;
      const ws = new WebSocket(url, { perMessageDeflate: options.wsDeflate });
      wire = { write: (text) => ws.send(text), destroy: () => ws.terminate() };
      ws.on('open', onConnected);
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        onMessage(bytes, 0, bytes.length);
      });
      ws.on('unexpected-response', (_request, response) => fail(`websocket upgrade answered ${response.statusCode}`));
      ws.on('error', (error: NodeJS.ErrnoException) => ended(error.code ?? error.message));
      ws.on('close', (code) => ended(`closed by server (ws ${code})`));
    }
  });
}

function parseOrRaw(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
