import assert from 'node:assert/strict';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { http, TcpClient, WsClient, type Json } from '../../../test/support/clients.js';
import { eventually } from '../../../test/support/eventually.js';
import type { TestServer } from '../../../test/support/stoa.js';
import type { HubConnection } from '../../core/realtime/connection.js';

/** Shared by the chat scenario tests (http, socket, restart); not a test file itself. */

/** A chat token on the wire: 128 random bits as lowercase hex. */
export const HEX32 = /^[0-9a-f]{32}$/;

/** The default avatar's URL, as every user without a picture gets it. */
export const DEFAULT_AVATAR = '/avatar/default/default_avatar.png';

/** A real 1x1 PNG. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Starts like a JFIF JPEG (SOI, APP0 "JFIF") and ends with EOI: enough for magic-byte checks. */
export const TINY_JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1'),
  Buffer.from([0xff, 0xd9]),
]);

/** A multipart/form-data body with one file part, built by hand so its bytes are exact. */
export function multipart(filename: string, contentType: string, bytes: Buffer): { headers: Record<string, string>; rawBody: Buffer } {
  const boundary = '----stoa-test-boundary-7f3a';
  const disposition = `Content-Disposition: form-data; name="avatar"; filename="${filename}"`;
  const head = `--${boundary}\r\n${disposition}\r\nContent-Type: ${contentType}\r\n\r\n`;
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    rawBody: Buffer.concat([Buffer.from(head), bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}

/**
 * A GET whose path goes on the wire exactly as written: fetch() would resolve `..` and
 * `%2e%2e` before sending, which hides the traversal attempts the avatar route must refuse.
 */
export function rawGet(baseUrl: string, path: string): Promise<{ status: number; contentType: string; body: Buffer }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method: 'GET', path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Either realtime transport; both speak the same chat JSON. */
export type ChatClient = TcpClient | WsClient;
export type TransportName = 'tcp' | 'ws';

/** Opens a chat client on the given transport of a test server. */
export function connectClient(srv: TestServer, transport: TransportName): Promise<ChatClient> {
  return transport === 'tcp' ? TcpClient.connect(srv.tcpPort) : WsClient.connect(srv.wsUrl);
}

/** Sends a request and waits for its answer, skipping probes (`ping`) and chat broadcasts. */
export function reply(client: ChatClient, message: Json): Promise<Json> {
  return client.request(message, (m) => m.type !== 'ping' && !(m.type === 'chat' && m.status === undefined));
}

/** Waits for the next chat broadcast (a `chat` event without `status`). */
export function nextBroadcast(client: ChatClient): Promise<Json> {
  return client.next((m) => m.type === 'chat' && m.status === undefined);
}

/** Closes a client and waits until the server has forgotten its connection (and freed its user). */
export async function closeAndSettle(srv: TestServer, client: ChatClient): Promise<void> {
  const before = srv.server.app.hub.size;
  client.close();
  await client.closed;
  await eventually(() => srv.server.app.hub.size < before, { what: 'the server to drop the connection' });
  await sleep(10);
}

/** The server side of the connection that holds `username` (found through the hub's own table). */
export function serverConnectionOf(srv: TestServer, username: string): HubConnection {
  const connections = srv.server.app.hub['connections'] as Map<string, HubConnection>;
  const conn = [...connections.values()].find((c) => c.user?.username === username);
  assert.ok(conn, `no server connection holds ${username}`);
  return conn;
}

/** Registers over HTTP and asserts success. */
export async function registerUser(baseUrl: string, username: string, password: string, avatar?: string): Promise<void> {
  const res = await http(baseUrl, 'POST', '/api/register', { body: { username, password, avatar } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
}

/** Logs in over HTTP and returns the token. */
export async function loginHttp(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await http(baseUrl, 'POST', '/api/login', { body: { username, password } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.match(res.body.token, HEX32);
  return res.body.token;
}

/** Logs in over a realtime client and returns the token. */
export async function loginOver(client: ChatClient, username: string, password: string): Promise<string> {
  const res = await reply(client, { type: 'login', username, password });
  assert.equal(res.status, 'success', JSON.stringify(res));
  return res.token;
}

/** POST /api/chat with a token; returns status and body. */
export function postChat(baseUrl: string, token: string, message: unknown): ReturnType<typeof http> {
  return http(baseUrl, 'POST', '/api/chat', { headers: { authorization: token }, body: { message } });
}
