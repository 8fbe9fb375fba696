import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http, TcpClient, WsClient } from '../../../test/support/clients.js';
import { createTestDatabase, dialects, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { ManualClock } from '../../lib/clock.js';
import { loginHttp, loginOver, postChat, registerUser, reply } from './test-helpers.js';

const MINUTE = 60_000;
const CHAT_OK = { type: 'chat', status: 'success' };
const CHAT_401 = { type: 'chat', status: 'error' };

/**
 * Time only moves when a test says so; presence leases are made long so that jumping the
 * clock by minutes does not also expire them (in real time a timer refreshes them).
 */
const MANUAL_TIME_ENV = { CHAT_PRESENCE_LEASE_S: '3600', CHAT_SWEEP_INTERVAL_S: '3600' };

async function expectChat(srv: TestServer, token: string, status: number, what: string): Promise<void> {
  const res = await postChat(srv.baseUrl, token, what);
  assert.deepEqual([res.status, res.body], [status, status === 200 ? CHAT_OK : CHAT_401], what);
}

for (const d of await dialects()) {
  describe(`chat across a restart (${d.name})`, { skip: d.skip }, () => {
    let db: TestDatabase;
    let srv: TestServer | undefined;

    before(async () => {
      db = await createTestDatabase(d.name);
    });
    after(async () => {
      await srv?.stop();
      await db?.drop();
    });

    test('a token issued before a restart still works after it, and history survives', async () => {
      srv = await startTestServer(db);
      await registerUser(srv.baseUrl, 'rita', 'rita-pw-1', 'r.png');
      const token = await loginHttp(srv.baseUrl, 'rita', 'rita-pw-1');
      await expectChat(srv, token, 200, 'before the restart');
      await srv.stop();
      srv = undefined;

      srv = await startTestServer(db);
      await expectChat(srv, token, 200, 'after the restart');
      const history = await http(srv.baseUrl, 'GET', '/api/chat/history', { headers: { authorization: `Bearer ${token}` } });
      assert.equal(history.status, 200);
      assert.deepEqual(
        history.body.messages.map((m: any) => [m.user, m.message, m.avatar]),
        [
          ['rita', 'before the restart', '/avatar/rita/r.png'],
          ['rita', 'after the restart', '/avatar/rita/r.png'],
        ],
      );
      const login = await http(srv.baseUrl, 'POST', '/api/login', { body: { username: 'rita', password: 'rita-pw-1' } });
      assert.equal(login.status, 200, 'the user store survived too');
      await srv.stop();
      srv = undefined;
    });
  });

  describe(`chat tokens and idle connections on a manual clock (${d.name})`, { skip: d.skip }, () => {
    const clock = new ManualClock();
    let db: TestDatabase;
    let srv: TestServer;
    const open: Array<TcpClient | WsClient> = [];

    before(async () => {
      db = await createTestDatabase(d.name);
      srv = await startTestServer(db, { clock, env: MANUAL_TIME_ENV });
      for (const name of ['sam', 'una', 'ida', 'ali', 'wes']) await registerUser(srv.baseUrl, name, `${name}-pw-1`);
    });
    after(async () => {
      for (const client of open) client.close();
      await srv?.stop();
      await db?.drop();
    });

    test('tokens slide: used at 59 min, still valid at 118 min, invalid 60 min after the last use', async () => {
      const used = await loginHttp(srv.baseUrl, 'sam', 'sam-pw-1');
      const unused = await loginHttp(srv.baseUrl, 'una', 'una-pw-1');
      clock.advance(59 * MINUTE);
      await expectChat(srv, used, 200, 'used at 59 min');
      clock.advance(59 * MINUTE);
      await expectChat(srv, unused, 401, 'never used: expired after 60 min');
      await expectChat(srv, used, 200, 'used at 118 min');
      clock.advance(60 * MINUTE - 1);
      await expectChat(srv, used, 200, 'one millisecond before expiry');
      clock.advance(60 * MINUTE);
      await expectChat(srv, used, 401, '60 min after the last use');
    });

    test('the idle sweep closes silent connections and frees their users; active ones stay', async () => {
      const idle = await TcpClient.connect(srv.tcpPort);
      const idleWs = await WsClient.connect(srv.wsUrl);
      const active = await TcpClient.connect(srv.tcpPort);
      const anonymous = await TcpClient.connect(srv.tcpPort);
      open.push(idle, idleWs, active, anonymous);
      await loginOver(idle, 'ida', 'ida-pw-1');
      await loginOver(idleWs, 'wes', 'wes-pw-1');
      const activeToken = await loginOver(active, 'ali', 'ali-pw-1');

      clock.advance(4 * MINUTE);
      assert.deepEqual(await reply(active, { type: 'heartbeat', token: activeToken }), { type: 'heartbeat', status: 'success' });
      const busy = await http(srv.baseUrl, 'POST', '/api/login', { body: { username: 'ida', password: 'ida-pw-1' } });
      assert.equal(busy.status, 409, 'before the sweep the idle connection still holds its user');

      clock.advance(2 * MINUTE);
      assert.equal(srv.server.app.hub.sweepIdle(), 3, 'the idle TCP and WS clients and the anonymous TCP client');
      await Promise.all([idle.closed, idleWs.closed, anonymous.closed]);
      assert.equal(active.inbox.closed, false);
      assert.deepEqual(await reply(active, { type: 'heartbeat', token: activeToken }), { type: 'heartbeat', status: 'success' });

      const again = await TcpClient.connect(srv.tcpPort);
      open.push(again);
      await loginOver(again, 'ida', 'ida-pw-1');
      await loginHttp(srv.baseUrl, 'wes', 'wes-pw-1');
    });
  });
}
