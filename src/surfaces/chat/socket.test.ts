import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TcpClient, WsClient, type Json } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import {
  closeAndSettle,
  connectClient,
  DEFAULT_AVATAR,
  HEX32,
  loginOver,
  postChat,
  registerUser,
  reply,
  serverConnectionOf,
  type ChatClient,
  type TransportName,
} from './test-helpers.js';

const REGISTERED = { type: 'register_1', error: false, message: 'User registered successfully' };
const TAKEN = { type: 'register_0', success: false, message: 'Username already exists' };
const BAD_USERNAME = { type: 'register_-2', success: false, message: 'Invalid username format' };
const BAD_AVATAR = { type: 'register_-3', success: false, message: 'Invalid avatar format. Only .png or .jpg allowed' };
const INVALID_CREDENTIALS = { type: 'login', status: 'error_0', message: 'Invalid credentials' };
const ALREADY = { type: 'login', status: 'error_-1', message: 'Account already logged in' };
const MISSING_TOKEN = { type: 'chat', status: 'error_Mt', message: 'Missing token' };
const INVALID_TOKEN = { type: 'chat', status: 'error_It', message: 'Invalid token' };
const NOT_LOGGED_IN = { type: 'chat', status: 'error_Nli', message: 'Not logged in' };
const CHAT_OK = { type: 'chat', status: 'success' };
const HEARTBEAT_OK = { type: 'heartbeat', status: 'success' };
const HEARTBEAT_ERROR = { type: 'heartbeat', status: 'error' };
const INVALID_JSON = { type: 'error', status: 'error', message: 'Invalid JSON' };
const UNKNOWN_TYPE = { type: 'error', status: 'error', message: 'Unknown type' };
const PASSWORD = 'pw-123456';

/** Waits for the chat broadcast that carries `message`, whatever else the room said first. */
function broadcastOf(client: ChatClient, message: string): Promise<Json> {
  return client.next((m) => m.type === 'chat' && m.status === undefined && m.message === message);
}

/** One server per dialect; both transports run their scenarios against it in turn. */
interface Ctx {
  db: TestDatabase;
  srv: TestServer;
  open: ChatClient[];
}

/**
 * The chat protocol over transport `t`, with a listener on the other transport `o`. Each
 * test registers its own users (names unique to the test and transport) and opens its own
 * connections, so it passes alone, in any order, and next to the others on one server.
 */
function protocolScenarios(ctx: Ctx, t: TransportName, o: TransportName): void {
  const connect = async (transport: TransportName = t) => {
    const client = await connectClient(ctx.srv, transport);
    ctx.open.push(client);
    return client;
  };
  /** Registers `<transport>_<name>` over HTTP and returns the username. */
  const newUser = async (name: string, avatar?: string) => {
    const username = `${t}_${name}`;
    await registerUser(ctx.srv.baseUrl, username, PASSWORD, avatar);
    return username;
  };
  /** A new user logged in on a new connection of transport `transport`. */
  const loggedIn = async (name: string, transport: TransportName = t, avatar?: string) => {
    const username = await newUser(name, avatar);
    const client = await connect(transport);
    const token = await loginOver(client, username, PASSWORD);
    return { username, client, token };
  };

  test('register: success, with and without an avatar', async () => {
    const client = await connect();
    assert.deepEqual(await reply(client, { type: 'register', username: `${t}_reg_pic`, password: PASSWORD, avatar: 'a.png' }), REGISTERED);
    assert.deepEqual(await reply(client, { type: 'register', username: `${t}_reg_plain`, password: PASSWORD }), REGISTERED);
  });

  test('register: duplicate -> register_0', async () => {
    const username = await newUser('dup');
    const client = await connect();
    assert.deepEqual(await reply(client, { type: 'register', username, password: 'other' }), TAKEN);
  });

  test('register: bad usernames -> register_-2', async () => {
    const client = await connect();
    for (const username of ['9lives', 'x', 'y'.repeat(21), 'has space', 42, undefined]) {
      assert.deepEqual(await reply(client, { type: 'register', username, password: PASSWORD }), BAD_USERNAME, String(username));
    }
  });

  test('register: bad avatar -> register_-3', async () => {
    const client = await connect();
    for (const avatar of ['a.gif', '../a.png', 7]) {
      assert.deepEqual(await reply(client, { type: 'register', username: `${t}_cal`, password: PASSWORD, avatar }), BAD_AVATAR);
    }
  });

  test('register: missing or empty password -> register_-1', async () => {
    const client = await connect();
    const problems = [[undefined, 'Missing password'], ['', 'Password must not be empty'], [99, 'Password must be a string']];
    for (const [password, message] of problems) {
      const res = await reply(client, { type: 'register', username: `${t}_cal`, password });
      assert.deepEqual(res, { type: 'register_-1', error: true, message });
    }
  });

  test('login: success carries token, username and avatar URL; the connection joins the room', async () => {
    const username = await newUser('login_ok', 'a.png');
    const client = await connect();
    const res = await reply(client, { type: 'login', username, password: PASSWORD });
    assert.match(res.token, HEX32);
    const avatar = `/avatar/${username}/a.png`;
    assert.deepEqual(res, { type: 'login', status: 'success', message: 'Login successful', token: res.token, username, avatar });
    assert.deepEqual(await reply(client, { type: 'chat', token: res.token, message: 'joined' }), CHAT_OK);
    assert.deepEqual(await broadcastOf(client, 'joined'), { type: 'chat', user: username, message: 'joined', avatar });
  });

  test('login: wrong password, unknown user or missing fields -> error_0', async () => {
    const username = await newUser('login_bad');
    const client = await connect();
    assert.deepEqual(await reply(client, { type: 'login', username, password: 'wrong' }), INVALID_CREDENTIALS);
    assert.deepEqual(await reply(client, { type: 'login', username: `${t}_nobody`, password: PASSWORD }), INVALID_CREDENTIALS);
    assert.deepEqual(await reply(client, { type: 'login', username }), INVALID_CREDENTIALS);
  });

  test('login: another live connection holds the user -> error_-1, and the holder is probed', async () => {
    const holder = await loggedIn('held');
    for (const transport of [t, o]) {
      const other = await connect(transport);
      assert.deepEqual(await reply(other, { type: 'login', username: holder.username, password: PASSWORD }), ALREADY, transport);
      assert.deepEqual(await holder.client.next((m) => m.type === 'ping'), { type: 'ping' });
    }
  });

  test('login: succeeds once the holding connection closed', async () => {
    const first = await loggedIn('reclaimed');
    await closeAndSettle(ctx.srv, first.client);
    await loginOver(await connect(), first.username, PASSWORD);
  });

  test('login: succeeds when the holder is dead (the probe fails); the dead one is closed', async () => {
    const holder = await loggedIn('dead_holder');
    const conn = serverConnectionOf(ctx.srv, holder.username);
    conn.isOpen = () => false; // the transport died without telling the server yet
    await loginOver(await connect(), holder.username, PASSWORD);
    await holder.client.closed;
  });

  test('chat: missing token -> error_Mt', async () => {
    const { client } = await loggedIn('no_token');
    assert.deepEqual(await reply(client, { type: 'chat', message: 'hi' }), MISSING_TOKEN);
    assert.deepEqual(await reply(client, { type: 'chat', token: '', message: 'hi' }), MISSING_TOKEN);
  });

  test('chat: unknown or malformed token -> error_It', async () => {
    const { client } = await loggedIn('bad_token');
    assert.deepEqual(await reply(client, { type: 'chat', token: 'ab'.repeat(16), message: 'hi' }), INVALID_TOKEN);
    assert.deepEqual(await reply(client, { type: 'chat', token: 12345, message: 'hi' }), INVALID_TOKEN);
  });

  test('chat: success; the broadcast reaches the sender and the other transport', async () => {
    const sender = await loggedIn('sender', t, 'a.png');
    const listener = await loggedIn('listener', o);
    const hello = `hi from ${sender.username}`;
    assert.deepEqual(await reply(sender.client, { type: 'chat', token: sender.token, message: hello }), CHAT_OK);
    const event = { type: 'chat', user: sender.username, message: hello, avatar: `/avatar/${sender.username}/a.png` };
    assert.deepEqual(await broadcastOf(sender.client, hello), event);
    assert.deepEqual(await broadcastOf(listener.client, hello), event);
    const answer = `hi from ${listener.username}`;
    assert.deepEqual(await reply(listener.client, { type: 'chat', token: listener.token, message: answer }), CHAT_OK);
    const back = { type: 'chat', user: listener.username, message: answer, avatar: DEFAULT_AVATAR };
    assert.deepEqual(await broadcastOf(sender.client, answer), back);
    assert.deepEqual(await broadcastOf(listener.client, answer), back);
  });

  test('chat: an empty message is refused', async () => {
    const { client, token } = await loggedIn('empty');
    const res = await reply(client, { type: 'chat', token, message: '' });
    assert.equal(res.type, 'chat');
    assert.equal(res.status, 'error');
    assert.match(res.message, /\S/);
  });

  test('heartbeat: success with a live token, error otherwise', async () => {
    const { client, token } = await loggedIn('beat');
    assert.deepEqual(await reply(client, { type: 'heartbeat', token }), HEARTBEAT_OK);
    assert.deepEqual(await reply(client, { type: 'heartbeat' }), HEARTBEAT_ERROR);
    assert.deepEqual(await reply(client, { type: 'heartbeat', token: 'ab'.repeat(16) }), HEARTBEAT_ERROR);
  });

  test('chat and heartbeat: token fine but its connection closed -> error_Nli / error', async () => {
    const { client, token } = await loggedIn('gone');
    await closeAndSettle(ctx.srv, client);
    const anonymous = await connect();
    assert.deepEqual(await reply(anonymous, { type: 'chat', token, message: 'hi' }), NOT_LOGGED_IN);
    assert.deepEqual(await reply(anonymous, { type: 'heartbeat', token }), HEARTBEAT_ERROR);
  });

  test('Invalid JSON is answered and the connection stays open', async () => {
    const live = await loggedIn('json', o);
    const client = await connect();
    for (const text of ['{"type": oops}\n', 'not json at all\n']) {
      if (client instanceof TcpClient) client.write(text);
      else (client as WsClient).sendText(text);
      assert.deepEqual(await client.next(), INVALID_JSON, text);
    }
    assert.deepEqual(await reply(client, { type: 'heartbeat', token: live.token }), HEARTBEAT_OK);
  });

  test('unknown or missing type -> Unknown type', async () => {
    const client = await connect();
    for (const message of [{ type: 'dance' }, {}, { type: 7 }, { username: `${t}_someone` }]) {
      assert.deepEqual(await reply(client, message), UNKNOWN_TYPE, JSON.stringify(message));
    }
  });

  test('logout: the token fails at once, on HTTP and on the socket', async () => {
    const { client, token } = await loggedIn('leaving');
    assert.deepEqual(await reply(client, { type: 'logout', token }), { type: 'logout', status: 'success' });
    const res = await postChat(ctx.srv.baseUrl, token, 'after logout');
    assert.deepEqual([res.status, res.body], [401, { type: 'chat', status: 'error' }]);
    assert.deepEqual(await reply(client, { type: 'chat', token, message: 'hi' }), INVALID_TOKEN);
    assert.deepEqual(await reply(client, { type: 'heartbeat', token }), HEARTBEAT_ERROR);
  });

  test('single session: a second login ends the first token at once', async () => {
    const first = await loggedIn('twice');
    await closeAndSettle(ctx.srv, first.client);
    const second = await connect(o);
    const secondToken = await loginOver(second, first.username, PASSWORD);
    assert.notEqual(secondToken, first.token);
    const stale = await postChat(ctx.srv.baseUrl, first.token, 'stale');
    assert.deepEqual([stale.status, stale.body], [401, { type: 'chat', status: 'error' }]);
    assert.deepEqual(await reply(second, { type: 'chat', token: first.token, message: 'hi' }), INVALID_TOKEN);
    const fresh = await postChat(ctx.srv.baseUrl, secondToken, 'fresh');
    assert.deepEqual([fresh.status, fresh.body], [200, CHAT_OK]);
    await closeAndSettle(ctx.srv, second);
  });
}

/** Framing that only raw TCP has: coalesced, split and oversized frames. */
function tcpFraming(ctx: Ctx): void {
  test('tcp: objects back to back in one packet, and one object split over packets', async () => {
    const client = await TcpClient.connect(ctx.srv.tcpPort);
    ctx.open.push(client);
    client.write('{"type":"heartbeat"}{"type":"dance"}\n{"type":"heartbeat"}');
    assert.deepEqual(await client.next(), HEARTBEAT_ERROR);
    assert.deepEqual(await client.next(), UNKNOWN_TYPE);
    assert.deepEqual(await client.next(), HEARTBEAT_ERROR);
    client.write('{"type":"hear');
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.write('tbeat"}');
    assert.deepEqual(await client.next(), HEARTBEAT_ERROR);
  });

  test('tcp: a frame over 64 KiB is answered with an error and the connection closed', async () => {
    const client = await TcpClient.connect(ctx.srv.tcpPort);
    ctx.open.push(client);
    client.send({ type: 'chat', token: 'x', message: 'y'.repeat(70 * 1024) });
    assert.deepEqual(await client.next(), { type: 'error', status: 'error', message: 'Frame too large' });
    await client.closed;
  });
}

for (const d of await dialects()) {
  describe(`chat socket protocol (${d.name})`, { skip: d.skip }, () => {
    const ctx = { open: [] } as unknown as Ctx;

    before(async () => {
      ctx.db = await createTestDatabase(d.name);
      // Every test registers its own users, all from 127.0.0.1: more than the default hourly budget.
      ctx.srv = await startTestServer(ctx.db, { env: { CHAT_REGISTRATIONS_PER_HOUR: '10000' } });
    });
    after(async () => {
      for (const client of ctx.open) client.close();
      await ctx.srv?.stop();
      await ctx.db?.drop();
    });

    describe('over TCP', () => protocolScenarios(ctx, 'tcp', 'ws'));
    describe('over WebSocket', () => protocolScenarios(ctx, 'ws', 'tcp'));
    describe('TCP framing', () => tcpFraming(ctx));
  });
}

describe('chat TCP behind a proxy (SOCKET_PROXY_PROTOCOL=true)', () => {
  let db: TestDatabase;
  let srv: TestServer;
  const open: TcpClient[] = [];
  before(async () => {
    db = await createTestDatabase('sqlite');
    srv = await startTestServer(db, { env: { SOCKET_PROXY_PROTOCOL: 'true', CHAT_REGISTRATIONS_PER_HOUR: '1' } });
  });
  after(async () => {
    for (const client of open) client.close();
    await srv?.stop();
    await db?.drop();
  });

  /** A connection as nginx `proxy_protocol on` opens it for a client at `ip`. */
  async function via(ip: string, header = `PROXY TCP4 ${ip} 127.0.0.1 40000 8889\r\n`): Promise<TcpClient> {
    const client = await TcpClient.connect(srv.tcpPort);
    open.push(client);
    client.write(header);
    return client;
  }

  test('limits count per client address from the PROXY header, not per proxy', async () => {
    const first = await via('203.0.113.7');
    assert.deepEqual(await first.request({ type: 'register', username: 'proxied_a', password: PASSWORD }), REGISTERED);
    const sameClient = await via('203.0.113.7');
    assert.deepEqual(await sameClient.request({ type: 'register', username: 'proxied_b', password: PASSWORD }), {
      type: 'register_-1',
      error: true,
      message: 'Too many registrations, try again later',
    });
    const otherClient = await via('203.0.113.8');
    assert.deepEqual(await otherClient.request({ type: 'register', username: 'proxied_c', password: PASSWORD }), REGISTERED);
  });

  test('the header and the first message may share a packet; PROXY UNKNOWN keeps the socket address', async () => {
    const client = await TcpClient.connect(srv.tcpPort);
    open.push(client);
    client.write(`PROXY TCP6 2001:db8::9 ::1 40000 8889\r\n${JSON.stringify({ type: 'register', username: 'proxied_d', password: PASSWORD })}\n`);
    assert.deepEqual(await client.next(), REGISTERED);
    const unknown = await via('', 'PROXY UNKNOWN\r\n');
    assert.equal((await unknown.request({ type: 'login', username: 'proxied_d', password: PASSWORD })).status, 'success');
  });

  test('a connection that does not start with a valid header is closed unanswered', async () => {
    const direct = await TcpClient.connect(srv.tcpPort);
    open.push(direct);
    direct.send({ type: 'login', username: 'proxied_a', password: PASSWORD });
    await direct.closed;
    await assert.rejects(direct.next(() => true, 100), 'no answer came before the close');
    const spoofed = await via('', 'PROXY TCP4 not.an.ip 127.0.0.1 1 2\r\n');
    await spoofed.closed;
  });
});
