import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TcpClient } from '../../../test/support/clients.js';
import { eventually } from '../../../test/support/eventually.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';

/**
 * The TCP chat socket's framing, end to end: whatever way an old client cuts its JSON
 * into packets, every request is answered, in order, on a real socket.
 */
describe('TCP framing over a real socket', () => {
  let db: TestDatabase;
  let server: TestServer;
  const clients: TcpClient[] = [];
  let userCount = 0;

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db, {
      env: { CHAT_REGISTRATIONS_PER_HOUR: '1000', CHAT_LOGIN_ATTEMPTS_PER_MINUTE: '1000' },
    });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.stop();
    await db.drop();
  });

  /** A connected client whose writes leave as separate packets. */
  async function connect(): Promise<TcpClient> {
    const client = await TcpClient.connect(server.tcpPort);
    client.socket.setNoDelay(true);
    clients.push(client);
    return client;
  }

  function newUsername(): string {
    return `frame_user${++userCount}`;
  }

  /** Registers and logs in on `client`; returns the chat token. */
  async function logIn(client: TcpClient, username = newUsername()): Promise<string> {
    const registered = await client.request({ type: 'register', username, password: 'pw-123456' });
    assert.equal(registered.type, 'register_1');
    const login = await client.request({ type: 'login', username, password: 'pw-123456' });
    assert.equal(login.status, 'success', JSON.stringify(login));
    return login.token;
  }

  test('two objects in one packet are both answered, in order', async () => {
    const client = await connect();
    const username = newUsername();
    client.write(
      `${JSON.stringify({ type: 'register', username, password: 'pw-123456' })}\n` +
        `${JSON.stringify({ type: 'login', username, password: 'pw-123456' })}\n`,
    );
    assert.equal((await client.next()).type, 'register_1');
    const login = await client.next();
    assert.equal(login.type, 'login');
    assert.equal(login.status, 'success');
    assert.match(login.token, /^[0-9a-f]{32}$/);
  });

  test('one object in three packets with pauses between them', async () => {
    const client = await connect();
    const token = await logIn(client);
    const line = Buffer.from(`${JSON.stringify({ type: 'heartbeat', token })}\n`);
    client.write(line.subarray(0, 7));
    await sleep(40);
    client.write(line.subarray(7, 25));
    await sleep(40);
    assert.deepEqual(client.inbox.pending(), [], 'nothing is answered before the object is complete');
    client.write(line.subarray(25));
    assert.deepEqual(await client.next(), { type: 'heartbeat', status: 'success' });
  });

  test('a multi-byte character split between packets arrives intact', async () => {
    const client = await connect();
    const token = await logIn(client);
    const line = Buffer.from(`${JSON.stringify({ type: 'chat', token, message: 'grüße 世界 😀' })}\n`);
    const cut = line.indexOf(Buffer.from('😀')) + 2;
    client.write(line.subarray(0, cut));
    await sleep(40);
    client.write(line.subarray(cut));
    const broadcast = await client.next((m) => m.type === 'chat' && m.status === undefined);
    assert.equal(broadcast.message, 'grüße 世界 😀');
    assert.deepEqual(await client.next((m) => m.type === 'chat' && m.status !== undefined), { type: 'chat', status: 'success' });
  });

  test('objects back-to-back with no separator, as old clients send them', async () => {
    const client = await connect();
    const username = newUsername();
    client.write(
      JSON.stringify({ type: 'heartbeat' }) +
        JSON.stringify({ type: 'register', username, password: 'pw-123456' }) +
        JSON.stringify({ type: 'login', username, password: 'pw-123456' }),
    );
    assert.deepEqual(await client.next(), { type: 'heartbeat', status: 'error' });
    assert.equal((await client.next()).type, 'register_1');
    const login = await client.next();
    assert.equal(login.status, 'success');
    client.write(JSON.stringify({ type: 'heartbeat', token: login.token }) + JSON.stringify({ type: 'heartbeat', token: 'f'.repeat(32) }));
    assert.deepEqual(await client.next(), { type: 'heartbeat', status: 'success' });
    assert.deepEqual(await client.next(), { type: 'heartbeat', status: 'error' });
  });

  test('a 100 KiB frame is answered with an error and the connection is closed', async () => {
    const client = await connect();
    const token = await logIn(client);
    client.write(`${JSON.stringify({ type: 'chat', token, message: 'x'.repeat(100 * 1024) })}\n`);
    const reply = await client.next();
    assert.equal(reply.type, 'error');
    assert.equal(reply.status, 'error');
    assert.equal(typeof reply.message, 'string');
    await eventually(() => client.inbox.closed, { timeoutMs: 3000, what: 'the connection to close after the error' });
    assert.deepEqual(client.inbox.pending(), [], 'nothing after the error');
  });

  test('invalid JSON, then a valid message: both answered and the connection stays open', async () => {
    const client = await connect();
    client.write('this is not json\n{"type":"heartbeat"}\n');
    assert.deepEqual(await client.next(), { type: 'error', status: 'error', message: 'Invalid JSON' });
    assert.deepEqual(await client.next(), { type: 'heartbeat', status: 'error' });

    client.write('{type: heartbeat}{"type":"heartbeat"}');
    assert.deepEqual(await client.next(), { type: 'error', status: 'error', message: 'Invalid JSON' });
    assert.deepEqual(await client.next(), { type: 'heartbeat', status: 'error' });

    client.write('[1,2]\n{"no":"type"}\n');
    assert.deepEqual(await client.next(), { type: 'error', status: 'error', message: 'Unknown type' });
    assert.deepEqual(await client.next(), { type: 'error', status: 'error', message: 'Unknown type' });

    const token = await logIn(client);
    assert.deepEqual(await client.request({ type: 'heartbeat', token }), { type: 'heartbeat', status: 'success' });
    assert.equal(client.inbox.closed, false);
  });
});
