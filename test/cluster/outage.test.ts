import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isUnavailable } from '../../src/core/errors.js';
import { http, TcpClient, WsClient, type Json } from '../support/clients.js';
import { uniqueRedisPrefix, testPostgresUrl, createPostgresSchema } from '../support/services.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';
import { login as webLogin, signup as webSignup } from '../../src/surfaces/accounts/test-helpers.js';
import { freePort } from '../support/clients.js';
import { eventually } from '../support/eventually.js';
import { CuttableProxy, PrivateRedis, redisServerBinary } from './outage-helpers.js';

/**
 * Dependency outages (cluster issue "Many nodes as one"): while Redis or PostgreSQL is
 * down, requests that need it answer 503 in their surface's own shape, realtime clients
 * stay connected and the node keeps running; when the dependency returns, the same node
 * recovers (pub/sub, presence leases, logins) without a restart.
 */

const strays: unknown[] = [];
process.on('unhandledRejection', (reason) => strays.push(reason));
process.on('uncaughtException', (err) => strays.push(err));

const basic = (name: string, password = '') => ({ authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` });
const UNAVAILABLE_CHAT = 'Service unavailable, try again shortly';

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

const redisBinary = redisServerBinary();

/** How long a node may take to recover once its dependency is back, and how often to look. */
const RECOVERY = { timeoutMs: 15_000, intervalMs: 100 };

describe('Redis outage and recovery', { skip: !redisBinary && 'redis-server not installed' }, () => {
  let redis: PrivateRedis;
  let db: TestDatabase;
  let stoa: TestServer;
  let tcp: TcpClient;
  let ws: WsClient;
  let httpToken: string;
  let webToken: string;
  let studyToken: string;
  const probed: string[] = [];

  before(async () => {
    redis = new PrivateRedis(redisBinary!, await freePort());
    await redis.start();
    db = await createTestDatabase('sqlite');
    stoa = await startTestServer(db, {
      env: { REDIS_URL: redis.url, REDIS_PREFIX: uniqueRedisPrefix(), CHAT_PRESENCE_LEASE_S: '3' },
    });
    // A job worker that lives through the outage: it must pick up work again afterwards.
    stoa.server.app.jobs.register<{ tag: string }>('outage-probe', async ({ tag }) => void probed.push(tag));
    for (const name of ['tina', 'wanda', 'hugo']) {
      const res = await http(stoa.baseUrl, 'POST', '/api/register', { body: { username: name, password: `pw-${name}` } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    tcp = await TcpClient.connect(stoa.tcpPort);
    assert.equal((await tcp.request({ type: 'login', username: 'tina', password: 'pw-tina' })).status, 'success');
    ws = await WsClient.connect(stoa.wsUrl);
    assert.equal((await ws.request({ type: 'login', username: 'wanda', password: 'pw-wanda' })).status, 'success');
    const login = await http(stoa.baseUrl, 'POST', '/api/login', { body: { username: 'hugo', password: 'pw-hugo' } });
    httpToken = login.body.token;
    await webSignup(stoa.baseUrl, 'vera');
    webToken = (await webLogin(stoa.baseUrl, 'vera')).access_token;
    // Live before the outage: a viewer's heartbeat then needs Redis (who is watching).
    assert.equal((await http(stoa.baseUrl, 'POST', '/user/live', { headers: { authorization: `Bearer ${webToken}` }, body: { s_name: 'vera' } })).status, 200);
    studyToken = (await http(stoa.baseUrl, 'GET', '/api/v1.0/token', { headers: basic('hugo', 'pw-hugo') })).body.token;
    assert.ok(studyToken, 'a study token before the outage');
  });

  after(async () => {
    tcp?.close();
    ws?.close();
    await stoa?.stop();
    await redis?.stop();
    await db?.drop();
  });

  test('Redis down: 503 in each surface shape, realtime clients stay, study keeps working', async () => {
    await redis.stop();
    const ready = await timed(() => http(stoa.baseUrl, 'GET', '/readyz'));
    assert.equal(ready.value.status, 503);
    assert.equal(ready.value.body.redis, false);
    assert.equal(ready.value.body.database, true);
    assert.ok(ready.ms < 2500, `/readyz took ${ready.ms} ms`);

    const cases: Array<{ name: string; run: () => Promise<{ status: number; body: unknown }>; body: Json }> = [
      {
        name: 'chat login',
        run: () => http(stoa.baseUrl, 'POST', '/api/login', { body: { username: 'hugo', password: 'pw-hugo' } }),
        body: { type: 'login_0', status: 'error', message: UNAVAILABLE_CHAT },
      },
      {
        name: 'chat message',
        run: () => http(stoa.baseUrl, 'POST', '/api/chat', { headers: { authorization: httpToken }, body: { message: 'lost' } }),
        body: { type: 'chat', status: 'error', message: UNAVAILABLE_CHAT },
      },
      {
        name: 'dadashop sms code',
        run: () => http(stoa.baseUrl, 'POST', '/v1/users/sms/code', { body: { phone: '13900000077' } }),
        body: { code: 503, error: { message: 'service unavailable, try again shortly' } },
      },
      {
        name: 'ihome sms code',
        run: () => http(stoa.baseUrl, 'GET', '/api/v1.0/sms_codes/13900000078?image_code_id=abc-1&image_code_text=ABCD'),
        body: { errcode: '4001', errmsg: '数据库异常' },
      },
      {
        name: 'live watch',
        run: () => http(stoa.baseUrl, 'POST', '/user/watch', { headers: { authorization: `Bearer ${webToken}` }, body: { s_name: 'vera' } }),
        body: { Error: 'Service unavailable, try again shortly' },
      },
    ];
    for (const c of cases) {
      const res = await timed(c.run);
      assert.deepEqual([res.value.status, res.value.body], [503, c.body], c.name);
      assert.ok(res.ms < 3000, `${c.name} took ${res.ms} ms`);
    }

    await assert.rejects(stoa.server.app.jobs.enqueue('outage-probe', { tag: 'during' }), (err: Error) => isUnavailable(err));

    const study = await http(stoa.baseUrl, 'GET', '/api/v1.0/studys', { headers: basic(studyToken) });
    assert.equal(study.status, 200, 'a study token check needs no Redis');

    const overTcp = await tcp.request({ type: 'chat', token: httpToken, message: 'lost' });
    assert.deepEqual(overTcp, { type: 'error', status: 'error', message: 'Service unavailable' });
    assert.equal(tcp.socket.destroyed, false, 'TCP client still connected');
    assert.equal(ws.socket.readyState, ws.socket.OPEN, 'WS client still connected');
  });

  test('Redis back on the same port: the same node recovers without a restart', async () => {
    await redis.start();
    await eventually(async () => (await http(stoa.baseUrl, 'GET', '/readyz')).status === 200, { ...RECOVERY, what: '/readyz 200' });

    // Redis came back empty: the leases of the open connections are claimed again by the refresh loop.
    const app = stoa.server.app;
    await eventually(
      async () => {
        const holders = await Promise.all([1, 2].map((id) => app.state.presence.holderOf(`chat-user:${id}`)));
        return holders.every((h) => h !== null);
      },
      { ...RECOVERY, what: 'leases re-claimed' },
    );
    const second = await WsClient.connect(stoa.wsUrl);
    assert.equal((await second.request({ type: 'login', username: 'tina', password: 'pw-tina' })).status, 'error_-1');
    second.close();

    const relogin = await http(stoa.baseUrl, 'POST', '/api/login', { body: { username: 'hugo', password: 'pw-hugo' } });
    assert.equal(relogin.status, 200, JSON.stringify(relogin.body));
    // A broadcast published in the instant before the subscriber's SUBSCRIBE lands is lost
    // (pub/sub keeps nothing), so the probe is repeated until one arrives.
    let attempt = 0;
    await eventually(
      async () => {
        const message = `after-${++attempt}`;
        const res = await http(stoa.baseUrl, 'POST', '/api/chat', { headers: { authorization: relogin.body.token }, body: { message } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return (await tcp.next((m) => m.type === 'chat' && m.message === message, 1000)).user === 'hugo';
      },
      { ...RECOVERY, what: 'a broadcast after recovery reaching the TCP client' },
    );
    const last = `after-${attempt}`;
    assert.ok(attempt <= 2, `${attempt} broadcasts needed after /readyz said ready`);
    assert.equal((await ws.next((m: Json) => m.type === 'chat' && m.message === last)).user, 'hugo');

    await stoa.server.app.jobs.enqueue('outage-probe', { tag: 'after' });
    await eventually(async () => probed.includes('after'), { ...RECOVERY, what: 'the job worker running a job after recovery' });
    assert.deepEqual(strays, [], 'no unhandled rejection or uncaught exception');
  });
});

describe('PostgreSQL outage and recovery', async () => {
  const pgUrl = await testPostgresUrl();
  let proxy: CuttableProxy;
  let schema: { url: string; drop(): Promise<void> };
  let db: TestDatabase;
  let stoa: TestServer;
  let studyToken: string;

  before(async () => {
    if (!pgUrl) return;
    const target = new URL(pgUrl);
    proxy = await CuttableProxy.open({ host: target.hostname, port: Number(target.port || 5432) });
    schema = await createPostgresSchema(pgUrl);
    const viaProxy = new URL(schema.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    db = await createTestDatabase('sqlite');
    stoa = await startTestServer(db, { env: { DATABASE_URL: viaProxy.toString() } });
    assert.equal((await http(stoa.baseUrl, 'POST', '/api/register', { body: { username: 'pia', password: 'pw-pia' } })).status, 200);
    studyToken = (await http(stoa.baseUrl, 'GET', '/api/v1.0/token', { headers: basic('pia', 'pw-pia') })).body.token;
  });

  after(async () => {
    await stoa?.stop();
    await proxy?.close();
    await schema?.drop();
    await db?.drop();
  });

  const requests = () => [
    {
      name: 'chat login',
      res: http(stoa.baseUrl, 'POST', '/api/login', { body: { username: 'pia', password: 'pw-pia' } }),
      down: { type: 'login_0', status: 'error', message: UNAVAILABLE_CHAT },
    },
    {
      name: 'study token check',
      res: http(stoa.baseUrl, 'GET', '/api/v1.0/studys', { headers: basic(studyToken) }),
      down: { error: 'service unavailable', message: 'try again shortly' },
    },
    {
      name: 'web login',
      res: http(stoa.baseUrl, 'POST', '/user/login', { body: { s_name: 'pia', s_password: 'pw-pia' } }),
      down: { Error: 'Service unavailable, try again shortly' },
    },
    {
      name: 'ihome login',
      res: http(stoa.baseUrl, 'POST', '/api/v1.0/sessions', { body: { mobile: '13900000079', password: 'pw-pia' } }),
      down: { errcode: '4001', errmsg: '数据库异常' },
    },
    {
      name: 'metrics read',
      res: http(stoa.baseUrl, 'GET', '/nfs/resource?s_nf=nf-1'),
      down: { error: 'Service unavailable, try again shortly' },
    },
  ];

  test('cut: 503 in each surface shape; restored: the same node serves again', { skip: !pgUrl && 'PostgreSQL not reachable' }, async () => {
    await proxy.cut();
    const ready = await timed(() => http(stoa.baseUrl, 'GET', '/readyz'));
    assert.deepEqual([ready.value.status, ready.value.body.database], [503, false]);
    assert.ok(ready.ms < 2500, `/readyz took ${ready.ms} ms`);
    for (const r of requests()) {
      const res = await r.res;
      assert.deepEqual([res.status, res.body], [503, r.down], r.name);
    }

    await proxy.restore();
    await eventually(async () => (await http(stoa.baseUrl, 'GET', '/readyz')).status === 200, { ...RECOVERY, what: '/readyz 200' });
    for (const r of requests()) {
      const res = await r.res;
      assert.notEqual(res.status, 503, `${r.name} after restore: ${JSON.stringify(res.body)}`);
      assert.ok(res.status < 500, `${r.name} after restore: ${res.status}`);
    }
    const login = await http(stoa.baseUrl, 'POST', '/api/login', { body: { username: 'pia', password: 'pw-pia' } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.deepEqual(strays, [], 'no unhandled rejection or uncaught exception');
  });
});
