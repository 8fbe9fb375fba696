/**
 * One bench chat client over raw TCP (newline-delimited JSON) or WebSocket (one
 * JSON object per text frame), speaking the chat wire protocol of
 * /work/shared/spec/chat.md just far enough to get into the room: optionally
 * `register`, then `login`, after which every broadcast
 * `{"type":"chat","user","message","avatar"}` is handed to `onBroadcast` with the
 * send timestamp the bench sender put at the front of the message text.
 *
 * Broadcasts are recognised without JSON.parse (a substring search for
 * `"user":"` and `"message":"`), because the load generator handles tens of
 * thousands of them a second and must stay cheaper than the server it measures.
 * Everything else (handshake replies, errors, pings) is parsed normally.
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

/** The send timestamp at the front of a bench broadcast's message text, NaN when the text is not a broadcast. */
export function broadcastSendTime(text: string): number {
  if (text.indexOf('"user":"') < 0) return Number.NaN;
  const at = text.indexOf('"message":"');
  if (at < 0) return Number.NaN;
  return parseFloat(text.slice(at + 11, at + 40));
}

function isBroadcast(text: string): boolean {
  return text.indexOf('"user":"') >= 0 && text.indexOf('"message":"') >= 0;
}

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

    function onText(text: string): void {
      if (state === 'ready') {
        if (isBroadcast(text)) options.onBroadcast?.(broadcastSendTime(text));
        else if (options.onOther) options.onOther(parseOrRaw(text));
        return;
      }
      if (state === 'closed' || state === 'connecting') return;
      const message = parseOrRaw(text) as { type?: unknown; status?: unknown; token?: unknown };
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
      const socket = net.connect({ host: options.target.host, port: options.target.tcpPort, noDelay: true });
      wire = { write: (text) => void socket.write(`${text}\n`), destroy: () => socket.destroy() };
      socket.setEncoding('utf8');
      let pending = '';
      socket.on('connect', onConnected);
      socket.on('data', (chunk: string) => {
        if (pending === '' && chunk.indexOf('\n') === chunk.length - 1) return onText(chunk.slice(0, -1));
        pending += chunk;
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line.length > 0) onText(line);
          newline = pending.indexOf('\n');
        }
      });
      socket.on('error', (error: NodeJS.ErrnoException) => ended(error.code ?? error.message));
      socket.on('close', () => ended('closed by server'));
    } else {
      const url = `ws://${options.target.host}:${options.target.httpPort}/ws`;
      const ws = new WebSocket(url, { perMessageDeflate: options.wsDeflate });
      wire = { write: (text) => ws.send(text), destroy: () => ws.terminate() };
      ws.on('open', onConnected);
      ws.on('message', (data, isBinary) => {
        if (!isBinary) onText(data.toString());
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
