import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TcpClient, WsClient } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import {
  closeAndSettle,
  connectClient,
  DEFAULT_AVATAR,
  HEX32,
  loginOver,
  nextBroadcast,
  postChat,
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

/** One server per dialect; both transports run their scenarios against it in turn. */
interface Ctx {
  db: TestDatabase;
  srv: TestServer;
  open: ChatClient[];
}

/** The chat protocol over transport `t`, with a listener on the other transport `o`. */
function protocolScenarios(ctx: Ctx, t: TransportName, o: TransportName): void {
  const ann = `${t}_ann`;
  const ben = `${t}_ben`;
  const tokens: Record<string, string> = {};
  let main: ChatClient;
  let holder: ChatClient;
  let listener: ChatClient;
  const connect = async (transport: TransportName = t) => {
    const client = await connectClient(ctx.srv, transport);
    ctx.open.push(client);
    return client;
  };

  before(async () => {
    main = await connect();
  });

  test('register: success, with and without an avatar', async () => {
    assert.deepEqual(await reply(main, { type: 'register', username: ann, password: PASSWORD, avatar: 'a.png' }), REGISTERED);
    assert.deepEqual(await reply(main, { type: 'register', username: ben, password: PASSWORD }), REGISTERED);
  });

  test('register: duplicate -> register_0', async () => {
    assert.deepEqual(await reply(main, { type: 'register', username: ann, password: 'other' }), TAKEN);
  });

  test('register: bad usernames -> register_-2', async () => {
    for (const username of ['9lives', 'x', 'y'.repeat(21), 'has space', 42, undefined]) {
      assert.deepEqual(await reply(main, { type: 'register', username, password: PASSWORD }), BAD_USERNAME, String(username));
    }
  });

  test('register: bad avatar -> register_-3', async () => {
    for (const avatar of ['a.gif', '../a.png', 7]) {
      assert.deepEqual(await reply(main, { type: 'register', username: `${t}_cal`, password: PASSWORD, avatar }), BAD_AVATAR);
    }
  });

  test('register: missing or empty password -> register_-1', async () => {
    const problems = [[undefined, 'Missing password'], ['', 'Password must not be empty'], [99, 'Password must be a string']];
    for (const [password, message] of problems) {
      const res = await reply(main, { type: 'register', username: `${t}_cal`, password });
      assert.deepEqual(res, { type: 'register_-1', error: true, message });
    }
  });

  test('login: success carries token, username and avatar URL; the connection joins the room', async () => {
    const res = await reply(main, { type: 'login', username: ann, password: PASSWORD });
    assert.match(res.token, HEX32);
    tokens.ann = res.token;
    const avatar = `/avatar/${ann}/a.png`;
    assert.deepEqual(res, { type: 'login', status: 'success', message: 'Login successful', token: res.token, username: ann, avatar });
    listener = await connect(o);
    tokens.ben = await loginOver(listener, ben, PASSWORD);
  });

  test('login: wrong password, unknown user or missing fields -> error_0', async () => {
    const other = await connect();
    assert.deepEqual(await reply(other, { type: 'login', username: ann, password: 'wrong' }), INVALID_CREDENTIALS);
    assert.deepEqual(await reply(other, { type: 'login', username: `${t}_nobody`, password: PASSWORD }), INVALID_CREDENTIALS);
    assert.deepEqual(await reply(other, { type: 'login', username: ann }), INVALID_CREDENTIALS);
  });

  test('login: another live connection holds the user -> error_-1, and the holder is probed', async () => {
    for (const transport of [t, o]) {
      const other = await connect(transport);
      assert.deepEqual(await reply(other, { type: 'login', username: ann, password: PASSWORD }), ALREADY, transport);
      assert.deepEqual(await main.next((m) => m.type === 'ping'), { type: 'ping' });
    }
  });

  test('login: succeeds once the holding connection closed', async () => {
    await closeAndSettle(ctx.srv, main);
    holder = await connect();
    tokens.ann = await loginOver(holder, ann, PASSWORD);
  });

  test('login: succeeds when the holder is dead (the probe fails); the dead one is closed', async () => {
    const conn = serverConnectionOf(ctx.srv, ann);
    conn.isOpen = () => false; // the transport died without telling the server yet
    const next = await connect();
    tokens.ann = await loginOver(next, ann, PASSWORD);
    await holder.closed;
    holder = next;
  });

  test('chat: missing token -> error_Mt', async () => {
    assert.deepEqual(await reply(holder, { type: 'chat', message: 'hi' }), MISSING_TOKEN);
    assert.deepEqual(await reply(holder, { type: 'chat', token: '', message: 'hi' }), MISSING_TOKEN);
  });

  test('chat: unknown or malformed token -> error_It', async () => {
    assert.deepEqual(await reply(holder, { type: 'chat', token: 'ab'.repeat(16), message: 'hi' }), INVALID_TOKEN);
    assert.deepEqual(await reply(holder, { type: 'chat', token: 12345, message: 'hi' }), INVALID_TOKEN);
  });

  test('chat: success; the broadcast reaches the sender and the other transport', async () => {
    assert.deepEqual(await reply(holder, { type: 'chat', token: tokens.ann, message: `hi from ${t}` }), CHAT_OK);
    const event = { type: 'chat', user: ann, message: `hi from ${t}`, avatar: `/avatar/${ann}/a.png` };
    assert.deepEqual(await nextBroadcast(holder), event);
    assert.deepEqual(await nextBroadcast(listener), event);
    assert.deepEqual(await reply(listener, { type: 'chat', token: tokens.ben, message: `hi from ${o}` }), CHAT_OK);
    const back = { type: 'chat', user: ben, message: `hi from ${o}`, avatar: DEFAULT_AVATAR };
    assert.deepEqual(await nextBroadcast(holder), back);
    assert.deepEqual(await nextBroadcast(listener), back);
  });

  test('chat: an empty message is refused', async () => {
    const res = await reply(holder, { type: 'chat', token: tokens.ann, message: '' });
    assert.equal(res.type, 'chat');
    assert.equal(res.status, 'error');
    assert.match(res.message, /\S/);
  });

  test('heartbeat: success with a live token, error otherwise', async () => {
    assert.deepEqual(await reply(holder, { type: 'heartbeat', token: tokens.ann }), HEARTBEAT_OK);
    assert.deepEqual(await reply(holder, { type: 'heartbeat' }), HEARTBEAT_ERROR);
    assert.deepEqual(await reply(holder, { type: 'heartbeat', token: 'ab'.repeat(16) }), HEARTBEAT_ERROR);
  });

  test('chat and heartbeat: token fine but its connection closed -> error_Nli / error', async () => {
    await closeAndSettle(ctx.srv, holder);
    const anonymous = await connect();
    assert.deepEqual(await reply(anonymous, { type: 'chat', token: tokens.ann, message: 'hi' }), NOT_LOGGED_IN);
    assert.deepEqual(await reply(anonymous, { type: 'heartbeat', token: tokens.ann }), HEARTBEAT_ERROR);
  });

  test('Invalid JSON is answered and the connection stays open', async () => {
    const client = await connect();
    for (const text of ['{"type": oops}\n', 'not json at all\n']) {
      if (client instanceof TcpClient) client.write(text);
      else (client as WsClient).sendText(text);
      assert.deepEqual(await client.next(), INVALID_JSON, text);
    }
    assert.deepEqual(await reply(client, { type: 'heartbeat', token: tokens.ben }), HEARTBEAT_OK);
  });

  test('unknown or missing type -> Unknown type', async () => {
    const client = await connect();
    for (const message of [{ type: 'dance' }, {}, { type: 7 }, { username: ann }]) {
      assert.deepEqual(await reply(client, message), UNKNOWN_TYPE, JSON.stringify(message));
    }
  });

  test('logout: the token fails at once, on HTTP and on the socket', async () => {
    const client = await connect();
    const token = await loginOver(client, ann, PASSWORD);
    assert.deepEqual(await reply(client, { type: 'logout', token }), { type: 'logout', status: 'success' });
    const res = await postChat(ctx.srv.baseUrl, token, 'after logout');
    assert.deepEqual([res.status, res.body], [401, { type: 'chat', status: 'error' }]);
    assert.deepEqual(await reply(client, { type: 'chat', token, message: 'hi' }), INVALID_TOKEN);
    assert.deepEqual(await reply(client, { type: 'heartbeat', token }), HEARTBEAT_ERROR);
  });

  test('single session: a second login ends the first token at once', async () => {
    const first = await connect();
    const firstToken = await loginOver(first, ann, PASSWORD);
    await closeAndSettle(ctx.srv, first);
    const second = await connect(o);
    const secondToken = await loginOver(second, ann, PASSWORD);
    assert.notEqual(secondToken, firstToken);
    const stale = await postChat(ctx.srv.baseUrl, firstToken, 'stale');
    assert.deepEqual([stale.status, stale.body], [401, { type: 'chat', status: 'error' }]);
    assert.deepEqual(await reply(second, { type: 'chat', token: firstToken, message: 'hi' }), INVALID_TOKEN);
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
      ctx.srv = await startTestServer(ctx.db);
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
