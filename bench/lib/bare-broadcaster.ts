/**
 * The "machine's limit" baseline for bench/chat-fanout.ts: the least a chat
 * server can do and still serve the same clients. A `node:net` server for the
 * TCP share and a `ws` WebSocketServer on `/ws` for the WebSocket share, both in
 * this one process. Every `register` and `login` is answered with success at
 * once (no storage, no hashing), and every `chat` line is serialised once as the
 * broadcast `{"type":"chat","user","message","avatar"}` and written to every
 * logged-in client. Framing is newline-delimited JSON only; there are no limits,
 * tokens, rate limits or slow-client handling.
 *
 * Stoa's figures divided by this process's figures, with the same clients, rate
 * and duration, say how much of the machine the real server leaves on the table.
 *
 * Run by the bench as a child process; it prints the same two listening lines as
 * `stoa serve` (`http listening on http://HOST:PORT`, `tcp chat listening on
 * HOST:PORT`) and exits when its parent's IPC channel closes or on SIGTERM.
 * Environment: HOST (default 127.0.0.1), PORT and SOCKET_PORT (default 0 = any).
 */
import http from 'node:http';
import net from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const host = process.env.HOST ?? '127.0.0.1';
const avatar = '/avatar/default/default_avatar.png';
const fakeToken = '0'.repeat(32);

/** Logged-in receivers, by transport; a broadcast walks both. */
const tcpMembers = new Set<net.Socket>();
const wsMembers = new Set<WebSocket>();

/** Answers one parsed request; returns the reply line (without newline) or null. */
function handle(request: Record<string, unknown>, join: (username: string) => void, user: () => string | null): string | null {
  switch (request.type) {
    case 'register':
      return '{"type":"register_1","error":false,"message":"User registered successfully"}';
    case 'login': {
      const username = String(request.username);
      join(username);
      return JSON.stringify({ type: 'login', status: 'success', message: 'Login successful', token: fakeToken, username, avatar });
    }
    case 'chat': {
      const sender = user();
      if (sender === null) return '{"type":"chat","status":"error_Nli","message":"Not logged in"}';
      broadcast(JSON.stringify({ type: 'chat', user: sender, message: request.message, avatar }));
      return '{"type":"chat","status":"success"}';
    }
    case 'heartbeat':
      return `{"type":"heartbeat","status":"${user() === null ? 'error' : 'success'}"}`;
    default:
      return '{"type":"error","status":"error","message":"Unknown type"}';
  }
}

function broadcast(text: string): void {
  const line = Buffer.from(`${text}\n`);
  const frame = Buffer.from(text);
  for (const socket of tcpMembers) socket.write(line);
  for (const ws of wsMembers) ws.send(frame, { binary: false });
}

function parse(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const invalidJson = '{"type":"error","status":"error","message":"Invalid JSON"}';

const tcpServer = net.createServer((socket) => {
  let username: string | null = null;
  let pending = '';
  socket.setEncoding('utf8');
  socket.setNoDelay(true);
  const join = (name: string) => {
    username = name;
    tcpMembers.add(socket);
  };
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      const request = parse(line);
      const reply = request === null ? invalidJson : handle(request, join, () => username);
      if (reply !== null) socket.write(`${reply}\n`);
      newline = pending.indexOf('\n');
    }
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => tcpMembers.delete(socket));
});

const httpServer = http.createServer((_request, response) => {
  response.writeHead(404).end();
});
const wsServer = new WebSocketServer({ server: httpServer, path: '/ws', perMessageDeflate: false });
wsServer.on('connection', (ws) => {
  let username: string | null = null;
  const join = (name: string) => {
    username = name;
    wsMembers.add(ws);
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    const request = parse(data.toString());
    const reply = request === null ? invalidJson : handle(request, join, () => username);
    if (reply !== null) ws.send(reply);
  });
  ws.on('error', () => ws.terminate());
  ws.on('close', () => wsMembers.delete(ws));
});

function port(value: string | undefined): number {
  return value === undefined || value === '' ? 0 : Number(value);
}

httpServer.listen(port(process.env.PORT), host, () => {
  const address = httpServer.address() as net.AddressInfo;
  console.log(`http listening on http://${host}:${address.port}`);
  tcpServer.listen(port(process.env.SOCKET_PORT), host, () => {
    const tcpAddress = tcpServer.address() as net.AddressInfo;
    console.log(`tcp chat listening on ${host}:${tcpAddress.port}`);
  });
});

function shutdown(): void {
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('disconnect', shutdown);
