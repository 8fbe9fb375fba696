import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http, TcpClient, WsClient, type Json } from '../../../test/support/clients.js';
import { eventually } from '../../../test/support/eventually.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { closeAndSettle, DEFAULT_AVATAR, HEX32, loginHttp, postChat, registerUser, reply, type ChatClient } from './test-helpers.js';
import { chatRoom } from './room.js';

/** What the console adds to chat: a chat token from the web JWT, socket login by token, and presence. */

const PASSWORD = 'pw-console-1';
const INVALID_CREDENTIALS = { type: 'login_0', status: 'error', message: 'Invalid credentials' };
const HTTP_ALREADY = { type: 'login', status: 'error_0', message: 'Account already logged in' };
const ALREADY = { type: 'login', status: 'error_-1', message: 'Account already logged in' };
const INVALID_TOKEN = { type: 'login', status: 'error_It', message: 'Invalid token' };

async function webJwt(baseUrl: string, name: string): Promise<string> {
  const res = await http(baseUrl, 'POST', '/user/login', { body: { s_name: name, s_password: PASSWORD } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.access_token;
}

async function chatTokenFromJwt(baseUrl: string, jwt: string, scheme = 'JWT'): Promise<{ status: number; body: Json }> {
  return http(baseUrl, 'POST', '/api/login', { headers: { authorization: `${scheme} ${jwt}` } });
}

const isPresence = (m: Json) => m.type === 'presence';
/** Waits for a presence frame listing exactly `names` (a batched update may repeat the list it was subscribed with). */
const presenceOf = (client: ChatClient, names: string[]) =>
  client.next((m) => isPresence(m) && m.topic === 'chat:presence' && JSON.stringify(m.online) === JSON.stringify(names));

for (const d of await dialects()) {
  describe(`chat console access (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let srv: TestServer;
    const open: ChatClient[] = [];
    const connect = async (kind: 'ws' | 'tcp' = 'ws') => {
      const client = kind === 'ws' ? await WsClient.connect(srv.wsUrl) : await TcpClient.connect(srv.tcpPort);
      open.push(client);
      return client;
    };

    before(async () => {
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db);
      for (const name of ['cona', 'conb', 'conc']) await registerUser(srv.baseUrl, name, PASSWORD);
    });
    after(async () => {
      for (const client of open) client.close();
      await srv?.stop();
      await db?.drop();
    });

    test('POST /api/login with a web JWT (JWT or Bearer) answers like a password login', async () => {
      const jwt = await webJwt(srv.baseUrl, 'cona');
      for (const scheme of ['JWT', 'Bearer']) {
        const res = await chatTokenFromJwt(srv.baseUrl, jwt, scheme);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(Object.keys(res.body).sort(), ['avatar', 'status', 'token', 'type']);
        assert.equal(res.body.type, 'login_1');
        assert.equal(res.body.status, 'success');
        assert.match(res.body.token, HEX32);
        assert.equal(res.body.avatar, DEFAULT_AVATAR);
        assert.equal((await postChat(srv.baseUrl, res.body.token, 'from the console')).status, 200);
      }
    });

    test('a bad or missing web JWT is 401 like bad credentials; password logins are unchanged', async () => {
      for (const header of ['JWT not-a-jwt', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x']) {
        const res = await http(srv.baseUrl, 'POST', '/api/login', { headers: { authorization: header } });
        assert.deepEqual([res.status, res.body], [401, INVALID_CREDENTIALS]);
      }
      const none = await http(srv.baseUrl, 'POST', '/api/login', { body: {} });
      assert.equal(none.status, 400);
      // Credentials in the body win over any header.
      const jwt = await webJwt(srv.baseUrl, 'conb');
      const withBody = await http(srv.baseUrl, 'POST', '/api/login', {
        headers: { authorization: `JWT ${jwt}` },
        body: { username: 'conb', password: 'wrong' },
      });
      assert.deepEqual([withBody.status, withBody.body], [401, INVALID_CREDENTIALS]);
    });

    test('socket login by token binds the connection; bad token and a second connection are refused', async () => {
      const token = (await chatTokenFromJwt(srv.baseUrl, await webJwt(srv.baseUrl, 'conb'))).body.token as string;
      const ws = await connect('ws');
      const ok = await reply(ws, { type: 'login', token });
      assert.deepEqual(ok, { type: 'login', status: 'success', message: 'Login successful', token, username: 'conb', avatar: DEFAULT_AVATAR });
      assert.deepEqual(await reply(ws, { type: 'heartbeat', token }), { type: 'heartbeat', status: 'success' });
      const tcp = await connect('tcp');
      assert.deepEqual(await reply(tcp, { type: 'login', token }), ALREADY);
      assert.deepEqual(await reply(tcp, { type: 'login', token: 'f'.repeat(32) }), INVALID_TOKEN);
      assert.deepEqual(await reply(tcp, { type: 'login', token: 42 }), INVALID_TOKEN);
      // While the console's socket holds the user, HTTP logins (JWT too) get 409.
      const again = await chatTokenFromJwt(srv.baseUrl, await webJwt(srv.baseUrl, 'conb'));
      assert.deepEqual([again.status, again.body], [409, HTTP_ALREADY]);
      await closeAndSettle(srv, ws);
      // The same token logs a new connection in after the old one is gone (TCP takes the same path).
      const tcpOk = await reply(tcp, { type: 'login', token });
      assert.equal(tcpOk.status, 'success');
      await closeAndSettle(srv, tcp);
    });

    test('chat:presence: only logged-in chat clients, a list on subscribe, updates on join and leave', async () => {
      const a = await connect('ws');
      const refused = await reply(a, { type: 'subscribe', topic: 'chat:presence' });
      assert.equal(refused.type, 'error');
      const tokenA = await loginHttp(srv.baseUrl, 'cona', PASSWORD);
      assert.equal((await reply(a, { type: 'login', token: tokenA })).status, 'success');
      a.send({ type: 'subscribe', topic: 'chat:presence' });
      assert.deepEqual(await a.next((m) => m.type === 'subscribed'), { type: 'subscribed', topic: 'chat:presence' });
      assert.deepEqual(await a.next(isPresence), { type: 'presence', topic: 'chat:presence', online: ['cona'] });
      await new Promise((r) => setTimeout(r, 150));

      // A seed TCP client that never subscribed sees no presence frames.
      const c = await connect('tcp');
      assert.equal((await reply(c, { type: 'login', username: 'conc', password: PASSWORD })).status, 'success');
      await presenceOf(a, ['cona', 'conc']);
      const b = await connect('ws');
      assert.equal((await reply(b, { type: 'login', username: 'conb', password: PASSWORD })).status, 'success');
      await presenceOf(a, ['cona', 'conb', 'conc']);
      await closeAndSettle(srv, b);
      await presenceOf(a, ['cona', 'conc']);
      assert.equal(chatRoom(srv.server.app).online().join(','), 'cona,conc');
      c.send({ type: 'heartbeat', token: 'x' });
      assert.deepEqual(await c.next(), { type: 'heartbeat', status: 'error' });
      assert.equal((c as TcpClient).inbox.pending().length, 0);

      // Logging out ends the subscription with the membership.
      const seen = a.inbox.pending().filter(isPresence).length;
      assert.equal((await a.request({ type: 'logout', token: tokenA }, (m) => m.type === 'logout')).status, 'success');
      await eventually(() => !chatRoom(srv.server.app).online().includes('cona'), { what: 'cona to leave the roster' });
      await closeAndSettle(srv, c);
      await new Promise((r) => setTimeout(r, 250));
      assert.equal(a.inbox.pending().filter(isPresence).length, seen);
    });
  });
}
