import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TcpClient, WsClient, http } from '../test/support/clients.js';
import { eventually } from '../test/support/eventually.js';
import { testRedisUrl, uniqueRedisPrefix } from '../test/support/services.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../test/support/stoa.js';

describe('health, readiness and the realtime hub', () => {
  let db: TestDatabase;
  let stoa: TestServer;
  before(async () => {
    db = await createTestDatabase('sqlite');
    stoa = await startTestServer(db);
  });
  after(async () => {
    await stoa.stop();
    await db.drop();
  });

  test('/healthz and /readyz', async () => {
    assert.equal((await http(stoa.baseUrl, 'GET', '/healthz')).status, 200);
    const ready = await http(stoa.baseUrl, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.database, true);
    assert.equal(ready.body.redis, null);
  });

  test('topics: subscribe, receive events with their topic, unsubscribe, unknown topics refused', async () => {
    stoa.server.app.hub.allowTopics((t) => t === 'test-topic');
    const ws = await WsClient.connect(stoa.wsUrl);
    assert.deepEqual(await ws.request({ type: 'subscribe', topic: 'test-topic' }), { type: 'subscribed', topic: 'test-topic' });
    const refused = await ws.request({ type: 'subscribe', topic: 'nope' });
    assert.equal(refused.type, 'error');
    const bad = await ws.request({ type: 'subscribe', topic: 42 });
    assert.equal(bad.type, 'error');
    await stoa.server.app.hub.publish('test-topic', { type: 'tick', n: 1 });
    assert.deepEqual(await ws.next(), { topic: 'test-topic', type: 'tick', n: 1 });
    assert.deepEqual(await ws.request({ type: 'unsubscribe', topic: 'test-topic' }), { type: 'unsubscribed', topic: 'test-topic' });
    await stoa.server.app.hub.publish('test-topic', { type: 'tick', n: 2 });
    const heartbeat = await ws.request({ type: 'heartbeat' });
    assert.deepEqual(heartbeat, { type: 'heartbeat', status: 'error' });
    assert.deepEqual(ws.inbox.pending(), []);
    ws.close();
  });

  test('upgrades on other paths are refused', async () => {
    await assert.rejects(WsClient.connect(stoa.wsUrl.replace('/ws', '/other')));
  });
});

describe('chat with Redis behind the shared state', async () => {
  const redisUrl = await testRedisUrl();
  let db: TestDatabase;
  let stoa: TestServer;
  before(async () => {
    if (!redisUrl) return;
    db = await createTestDatabase('sqlite');
    stoa = await startTestServer(db, { env: { REDIS_URL: redisUrl, REDIS_PREFIX: uniqueRedisPrefix() } });
  });
  after(async () => {
    await stoa?.stop();
    await db?.drop();
  });

  test('register, login, broadcast and one-live-connection go through Redis', { skip: !redisUrl && 'Redis not reachable' }, async () => {
    const ready = await http(stoa.baseUrl, 'GET', '/readyz');
    assert.equal(ready.body.redis, true);
    const tcp = await TcpClient.connect(stoa.tcpPort);
    assert.equal((await tcp.request({ type: 'register', username: 'rita', password: 'pw' })).type, 'register_1');
    const login = await tcp.request({ type: 'login', username: 'rita', password: 'pw' });
    assert.equal(login.status, 'success');
    const ws = await WsClient.connect(stoa.wsUrl);
    assert.equal((await ws.request({ type: 'login', username: 'rita', password: 'pw' })).status, 'error_-1');
    const sent = await http(stoa.baseUrl, 'POST', '/api/chat', { headers: { authorization: login.token }, body: { message: 'via redis' } });
    assert.equal(sent.status, 200);
    const event = await tcp.next((m) => m.type === 'chat' && m.user === 'rita');
    assert.equal(event.message, 'via redis');
    tcp.close();
    ws.close();
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM finishes an in-flight request, closes sockets and exits 0', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'stoa-shutdown-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
      env: { ...process.env, PORT: '0', SOCKET_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await eventually(() => /tcp chat listening on/.test(output), { timeoutMs: 30_000, intervalMs: 50, what: 'the server to announce its TCP chat port' });
    const httpPort = Number(/http listening on http:\/\/[\d.]+:(\d+)/.exec(output)![1]);
    const tcpPort = Number(/tcp chat listening on [\d.]+:(\d+)/.exec(output)![1]);

    const tcp = await TcpClient.connect(tcpPort);
    // A request whose body is still arriving when the signal comes.
    const body = JSON.stringify({ username: 'late_user', password: 'pw' });
    const raw = net.connect({ host: '127.0.0.1', port: httpPort });
    await new Promise((r) => raw.once('connect', r));
    raw.write(`POST /api/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    raw.write(body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 200));
    let response = '';
    raw.setEncoding('utf8').on('data', (d: string) => (response += d));
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    raw.write(body.slice(10));
    await tcp.closed;
    assert.equal(await exited, 0);
    assert.match(response, /^HTTP\/1\.1 200/);
    assert.match(response, /register_1/);
  });
});
