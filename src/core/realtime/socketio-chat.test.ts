import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { TcpClient, http, type Json } from '../../../test/support/clients.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';

const PASSWORD = 'pw-123456';

/** A Socket.IO client that keeps every `message` event and can wait for one. */
async function connect(baseUrl: string): Promise<{ socket: Socket; next(match: (m: Json) => boolean): Promise<Json>; send(m: unknown): void }> {
  const socket = io(baseUrl, { reconnection: false, transports: ['websocket'] });
  const seen: Json[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (m: Json) => {
    seen.push(m);
    for (const wake of waiters) wake();
  });
  await new Promise<void>((resolve, reject) => (socket.once('connect', resolve), socket.once('connect_error', reject)));
  return {
    socket,
    send: (m) => socket.emit('message', m),
    next: (match) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const i = seen.findIndex(match);
          if (i < 0) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(seen.splice(i, 1)[0]!);
        };
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`no matching message; seen ${JSON.stringify(seen)}`))), 5000);
        waiters.add(check);
        check();
      }),
  };
}

describe('Socket.IO carries the chat protocol (one node, SQLite)', () => {
  let db: TestDatabase;
  let srv: TestServer;
  const sockets: Socket[] = [];

  before(async () => {
    db = await createTestDatabase('sqlite');
    srv = await startTestServer(db);
  });
  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await srv?.stop();
    await db?.drop();
  });

  test('register, login, chat both ways with TCP, heartbeat; bad payloads answered; disconnect frees the user', async () => {
    const a = await connect(srv.baseUrl);
    sockets.push(a.socket);
    a.send({ type: 'register', username: 'sio_user', password: PASSWORD });
    assert.deepEqual(await a.next((m) => m.type === 'register_1'), { type: 'register_1', error: false, message: 'User registered successfully' });
    a.send(42);
    assert.deepEqual(await a.next((m) => m.type === 'error'), { type: 'error', status: 'error', message: 'Invalid JSON' });
    a.send('{"type":"nope"}');
    assert.deepEqual(await a.next((m) => m.type === 'error'), { type: 'error', status: 'error', message: 'Unknown type' });
    a.send({ type: 'subscribe', topic: 'alerts' });
    assert.deepEqual(await a.next((m) => m.type === 'subscribed'), { type: 'subscribed', topic: 'alerts' });

    a.send({ type: 'login', username: 'sio_user', password: PASSWORD });
    const login = await a.next((m) => m.type === 'login');
    assert.equal(login.status, 'success');

    assert.equal((await http(srv.baseUrl, 'POST', '/api/register', { body: { username: 'tcp_user', password: PASSWORD } })).status, 200);
    const tcp = await TcpClient.connect(srv.tcpPort);
    const tcpLogin = await tcp.request({ type: 'login', username: 'tcp_user', password: PASSWORD });
    assert.equal(tcpLogin.status, 'success');
    // Same user on TCP while the Socket.IO connection is live: refused.
    const dup = await TcpClient.connect(srv.tcpPort);
    assert.equal((await dup.request({ type: 'login', username: 'sio_user', password: PASSWORD })).status, 'error_-1');

    a.send({ type: 'chat', token: login.token, message: 'from socket.io' });
    assert.deepEqual(await a.next((m) => m.type === 'chat' && m.status !== undefined), { type: 'chat', status: 'success' });
    const fromSio = { type: 'chat', user: 'sio_user', message: 'from socket.io', avatar: '/avatar/default/default_avatar.png' };
    assert.deepEqual(await tcp.next((m) => m.message === 'from socket.io'), fromSio);
    assert.deepEqual(await a.next((m) => m.message === 'from socket.io'), fromSio);
    tcp.send({ type: 'chat', token: tcpLogin.token, message: 'from tcp' });
    assert.equal((await a.next((m) => m.message === 'from tcp')).user, 'tcp_user');

    a.send({ type: 'heartbeat', token: login.token });
    assert.deepEqual(await a.next((m) => m.type === 'heartbeat'), { type: 'heartbeat', status: 'success' });

    a.socket.disconnect();
    for (let i = 0; i < 50; i++) {
      const r = await dup.request({ type: 'login', username: 'sio_user', password: PASSWORD });
      if (r.status === 'success') break;
      assert.equal(i < 49, true, 'the disconnect freed the user');
      await new Promise((res) => setTimeout(res, 100));
    }
    tcp.close();
    dup.close();
  });
});
