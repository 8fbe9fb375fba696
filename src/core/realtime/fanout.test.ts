import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TcpClient, WsClient, http, type Json } from '../../../test/support/clients.js';
import { eventually } from '../../../test/support/eventually.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';

/** Generous limits so hundreds of accounts can sign up and log in from one address. */
const LOAD_ENV = {
  CHAT_REGISTRATIONS_PER_HOUR: '1000000',
  CHAT_LOGIN_ATTEMPTS_PER_MINUTE: '1000000',
  CHAT_MESSAGES_PER_MINUTE: '1000000',
};
const PASSWORD = 'pw-123456';

type Client = TcpClient | WsClient;

/** Registers and logs in `username` over the client's own transport; it then receives broadcasts. */
async function joinChat(client: Client, username: string): Promise<void> {
  const registered = await client.request({ type: 'register', username, password: PASSWORD }, (m) => m.type.startsWith('register'));
  assert.equal(registered.type, 'register_1', `${username}: ${JSON.stringify(registered)}`);
  const login = await client.request({ type: 'login', username, password: PASSWORD }, (m) => m.type === 'login');
  assert.equal(login.status, 'success', `${username}: ${JSON.stringify(login)}`);
}

/** Registers and logs in over HTTP; returns the chat token (no connection is held). */
async function httpUser(baseUrl: string, username: string): Promise<string> {
  const registered = await http(baseUrl, 'POST', '/api/register', { body: { username, password: PASSWORD } });
  assert.equal(registered.status, 200, JSON.stringify(registered.body));
  const login = await http(baseUrl, 'POST', '/api/login', { body: { username, password: PASSWORD } });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return login.body.token;
}

/** Runs `task` for 0..count-1 with at most `limit` in flight. */
async function inParallel(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

function isBroadcast(m: Json): boolean {
  return m.type === 'chat' && m.status === undefined;
}

/** Takes every message the client has received so far. */
async function drain(client: Client): Promise<Json[]> {
  const count = client.inbox.pending().length;
  const taken: Json[] = [];
  for (let i = 0; i < count; i++) taken.push(await client.next());
  return taken;
}

describe('fan-out to many clients', () => {
  let db: TestDatabase;
  let server: TestServer;
  const clients: Client[] = [];

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db, { env: LOAD_ENV });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.stop();
    await db.drop();
  });

  test('300 TCP and 100 WebSocket clients all receive one broadcast sent over HTTP', { timeout: 60_000 }, async (t) => {
    const tcp = await Promise.all(Array.from({ length: 300 }, () => TcpClient.connect(server.tcpPort)));
    const ws = await Promise.all(Array.from({ length: 100 }, () => WsClient.connect(server.wsUrl)));
    const everyone: Client[] = [...tcp, ...ws];
    clients.push(...everyone);
    await inParallel(everyone.length, 50, (i) => joinChat(everyone[i]!, `fan_${i < 300 ? 't' : 'w'}${i}`));
    assert.equal(server.server.app.hub.size, 400);

    const token = await httpUser(server.baseUrl, 'fan_sender');
    const started = Date.now();
    const sent = await http(server.baseUrl, 'POST', '/api/chat', { body: { message: 'hello, all 400' }, headers: { authorization: token } });
    assert.deepEqual(sent.body, { type: 'chat', status: 'success' });
    const received = await Promise.all(everyone.map((client) => client.next(isBroadcast, 10_000)));
    const elapsedMs = Date.now() - started;
    for (const message of received) {
      assert.deepEqual(message, {
        type: 'chat',
        user: 'fan_sender',
        message: 'hello, all 400',
        avatar: '/avatar/default/default_avatar.png',
      });
    }
    assert.ok(elapsedMs < 5000, `the broadcast took ${elapsedMs} ms to reach everyone`);
    t.diagnostic(`the broadcast reached all 400 clients ${elapsedMs} ms after the POST was sent`);
    for (const client of everyone) client.close();
  });
});

describe('a client that does not read', () => {
  const BUFFER_BOUND = 64 * 1024;
  let db: TestDatabase;
  let server: TestServer;
  const clients: Client[] = [];

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db, { env: { ...LOAD_ENV, CHAT_MAX_OUTGOING_BUFFER_BYTES: String(BUFFER_BOUND) } });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.stop();
    await db.drop();
  });

  test('is dropped once its outgoing buffer passes the bound, while the others get every message promptly', { timeout: 120_000 }, async (t) => {
    const hub = server.server.app.hub;
    const readers: Client[] = [
      ...(await Promise.all(Array.from({ length: 8 }, () => TcpClient.connect(server.tcpPort)))),
      ...(await Promise.all(Array.from({ length: 4 }, () => WsClient.connect(server.wsUrl)))),
    ];
    const silent = await TcpClient.connect(server.tcpPort);
    clients.push(...readers, silent);
    await Promise.all(readers.map((client, i) => joinChat(client, `reader${i}`)));
    await joinChat(silent, 'silent');
    // From here on the silent client's process never reads: the kernel buffers fill, then the server's.
    silent.socket.pause();
    const token = await httpUser(server.baseUrl, 'blaster');
    assert.equal(hub.size, readers.length + 1);

    // The kernel holds a few MiB for the silent socket before the server's own buffer grows,
    // so send in batches until the silent client is gone, then one batch more.
    const BATCH = 100;
    const MAX_MESSAGES = 4000;
    const padding = 'x'.repeat(4000);
    const seen = readers.map(() => new Set<number>());
    let sent = 0;
    let droppedAfter = -1;
    let worstLagMs = 0;
    while (sent < MAX_MESSAGES) {
      const first = sent;
      await inParallel(BATCH, 8, async (i) => {
        const message = `${first + i}:${padding}`.slice(0, 4000);
        const reply = await http(server.baseUrl, 'POST', '/api/chat', { body: { message }, headers: { authorization: token } });
        assert.equal(reply.status, 200, JSON.stringify(reply.body));
      });
      sent += BATCH;
      // Every reader has the whole batch soon after the last post returned, whatever the silent client does.
      const postedAt = Date.now();
      await eventually(
        async () => {
          for (const [r, reader] of readers.entries()) {
            for (const m of await drain(reader)) if (isBroadcast(m)) seen[r]!.add(Number.parseInt(m.message, 10));
          }
          return seen.every((ids) => ids.size === sent);
        },
        { timeoutMs: 10_000, what: `every reader to get messages ${first}-${sent - 1}` },
      );
      worstLagMs = Math.max(worstLagMs, Date.now() - postedAt);
      if (droppedAfter >= 0) break;
      if (hub.size === readers.length) droppedAfter = sent;
    }
    assert.ok(droppedAfter > 0, `the silent client was still connected after ${sent} messages of 4000 characters`);
    assert.equal(hub.size, readers.length, 'only the silent client was dropped');
    for (const ids of seen) assert.equal(ids.size, sent);
    assert.ok(worstLagMs < 3000, `a reader got a batch ${worstLagMs} ms after it was posted`);

    // The silent client got less than everything, then the end of the stream.
    silent.socket.resume();
    await eventually(() => silent.inbox.closed, { timeoutMs: 10_000, what: 'the silent client to see its connection closed' });
    const got = silent.inbox.pending().filter(isBroadcast).length;
    assert.ok(got < sent, `the silent client received ${got} of ${sent}`);
    t.diagnostic(`silent client dropped within ${droppedAfter} messages, it received ${got}; worst reader lag after a batch ${worstLagMs} ms`);

    // Its user is free again: a new login is not refused as "already logged in".
    const again = await http(server.baseUrl, 'POST', '/api/login', { body: { username: 'silent', password: PASSWORD } });
    assert.equal(again.status, 200, JSON.stringify(again.body));
  });
});

describe('a reconnect storm', () => {
  const STORM = 5000;
  const SAMPLE = 50;
  let db: TestDatabase;
  let server: TestServer;
  const clients: TcpClient[] = [];

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db, { env: LOAD_ENV });
  });
  after(async () => {
    for (const client of clients) client.close();
    await server.stop();
    await db.drop();
  });

  test(`${STORM} TCP clients connecting at once are all accepted within 10 s and all answer`, { timeout: 120_000 }, async (t) => {
    await inParallel(SAMPLE, 10, async (i) => {
      const registered = await http(server.baseUrl, 'POST', '/api/register', { body: { username: `storm${i}`, password: PASSWORD } });
      assert.equal(registered.status, 200);
    });

    const started = performance.now();
    // Every connect is started in the same tick: no pacing.
    const attempts = await Promise.allSettled(Array.from({ length: STORM }, () => TcpClient.connect(server.tcpPort)));
    const connectedMs = performance.now() - started;
    const failures = attempts.filter((a) => a.status === 'rejected').map((a) => String((a as PromiseRejectedResult).reason?.code));
    for (const a of attempts) if (a.status === 'fulfilled') clients.push(a.value);
    assert.deepEqual(failures, [], `${failures.length} of ${STORM} connections failed`);
    assert.ok(connectedMs < 10_000, `connecting took ${connectedMs.toFixed(0)} ms`);
    await eventually(() => server.server.app.hub.size === STORM, { timeoutMs: 10_000, what: `the server to hold ${STORM} connections` });
    const acceptedMs = performance.now() - started;

    const heartbeats = await Promise.all(
      clients.map((client) => {
        client.send({ type: 'heartbeat' });
        return client.next((m) => m.type === 'heartbeat', 20_000);
      }),
    );
    const answeredMs = performance.now() - started;
    for (const reply of heartbeats) assert.deepEqual(reply, { type: 'heartbeat', status: 'error' });

    const sample = Array.from({ length: SAMPLE }, (_, i) => clients[Math.floor((i * STORM) / SAMPLE)]!);
    await Promise.all(
      sample.map(async (client, i) => {
        const login = await client.request({ type: 'login', username: `storm${i}`, password: PASSWORD }, (m) => m.type === 'login');
        assert.equal(login.status, 'success', JSON.stringify(login));
        assert.deepEqual(await client.request({ type: 'heartbeat', token: login.token }, (m) => m.type === 'heartbeat'), {
          type: 'heartbeat',
          status: 'success',
        });
      }),
    );
    t.diagnostic(
      `connected ${connectedMs.toFixed(0)} ms, all accepted ${acceptedMs.toFixed(0)} ms, all heartbeats answered ${answeredMs.toFixed(0)} ms`,
    );
  });
});
