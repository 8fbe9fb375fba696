import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { io, type Socket } from 'socket.io-client';
import { sampleBody } from '../../src/surfaces/monitor/alerts/test-helpers.js';
import { TcpClient, WsClient, http, type Json } from '../support/clients.js';
import { NodeProcess } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { createPostgresSchema, testPostgresUrl, testRedisUrl, uniqueRedisPrefix } from '../support/services.js';

const pgUrl = await testPostgresUrl();
const redisUrl = await testRedisUrl();
const skip = !pgUrl ? 'PostgreSQL not reachable' : !redisUrl ? 'Redis not reachable' : false;

const LEASE_S = 3;
const EVAL_S = 2;
const PASSWORD = 'correct horse 9';

/** Every message a Socket.IO client gets as `message` or `alert`, with waits like the TCP/WS clients'. */
class SioClient {
  readonly messages: Json[] = [];
  readonly alerts: Json[] = [];
  private constructor(readonly socket: Socket) {
    socket.on('message', (m: Json) => this.messages.push(m));
    socket.on('alert', (m: Json) => this.alerts.push(m));
  }

  static connect(baseUrl: string): Promise<SioClient> {
    const socket = io(baseUrl, { reconnection: false, transports: ['websocket'] });
    const client = new SioClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(client));
      socket.once('connect_error', reject);
    });
  }

  /** Emits a request as `message` and waits for the first new `message` matching. */
  async request(message: Json, match: (m: Json) => boolean): Promise<Json> {
    const seen = this.messages.length;
    this.socket.emit('message', message);
    return eventually(() => this.messages.slice(seen).find(match), { timeoutMs: 5000, what: `reply to ${message.type}` });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('three nodes on one PostgreSQL and one Redis behave as one server', { skip }, () => {
  const nodes: NodeProcess[] = [];
  const closers: Array<() => void> = [];
  let dropSchema: (() => Promise<void>) | undefined;
  let dataDir = '';
  const [n1, n2, n3] = [0, 1, 2].map((i) => () => nodes[i]!);

  before(async () => {
    const schema = await createPostgresSchema(pgUrl!);
    dropSchema = schema.drop;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'stoa-cluster-'));
    const env = {
      HOST: '127.0.0.1',
      PORT: '0',
      SOCKET_PORT: '0',
      DATA_DIR: dataDir,
      DATABASE_URL: schema.url,
      REDIS_URL: redisUrl!,
      REDIS_PREFIX: uniqueRedisPrefix(),
      JWT_SECRET: 'cluster-test-secret-0123456789abcdef0123456789',
      // debug: the 'alert evaluation ran' records (debug level) say which node took each tick.
      LOG_LEVEL: 'debug',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      NODE_ENV: 'test',
      CHAT_PRESENCE_LEASE_S: String(LEASE_S),
      ALERT_EVAL_INTERVAL_S: String(EVAL_S),
      SMS_PROVIDER: 'console',
    };
    nodes.push(...(await Promise.all(['n1', 'n2', 'n3'].map((id) => NodeProcess.start(id, env)))));
  });

  after(async () => {
    for (const close of closers) close();
    for (const node of nodes) node.kill();
    await Promise.all(nodes.map((node) => node.exited));
    await dropSchema?.();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('each node prints its id and reports it, PostgreSQL and Redis on /healthz and /readyz', async () => {
    for (const [i, node] of nodes.entries()) {
      assert.ok(node.lines.some((l) => l.text === `node n${i + 1}`), 'the node line is printed');
      assert.deepEqual((await http(node.baseUrl, 'GET', '/healthz')).body, { status: 'ok', node: `n${i + 1}` });
      const ready = await http(node.baseUrl, 'GET', '/readyz');
      assert.deepEqual([ready.status, ready.body], [200, { status: 'ready', node: `n${i + 1}`, database: true, redis: true }]);
    }
  });

  test('a chat message sent to node 1 reaches TCP, WebSocket and Socket.IO clients on nodes 2 and 3', async () => {
    const names = ['alice', 'tcp2', 'ws2', 'sio2', 'tcp3', 'ws3', 'sio3'];
    for (const username of names) {
      const res = await http(n1().baseUrl, 'POST', '/api/register', { body: { username, password: PASSWORD } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const login = (username: string) => ({ type: 'login', username, password: PASSWORD });
    const isLogin = (m: Json) => m.type === 'login';
    const sender = await TcpClient.connect(n1().tcpPort);
    closers.push(() => sender.close());
    const receivers: Array<{ name: string; next: (match: (m: Json) => boolean) => Promise<Json> }> = [];
    for (const node of [n2(), n3()]) {
      const suffix = node.id.slice(1);
      const tcp = await TcpClient.connect(node.tcpPort);
      const ws = await WsClient.connect(node.wsUrl);
      const sio = await SioClient.connect(node.baseUrl);
      closers.push(() => tcp.close(), () => ws.close(), () => sio.socket.disconnect());
      assert.equal((await tcp.request(login(`tcp${suffix}`), isLogin)).status, 'success');
      assert.equal((await ws.request(login(`ws${suffix}`), isLogin)).status, 'success');
      const sioLogin = await sio.request(login(`sio${suffix}`), isLogin);
      assert.equal(sioLogin.status, 'success', 'Socket.IO speaks the chat protocol');
      assert.match(sioLogin.token, /^[0-9a-f]{32}$/);
      receivers.push(
        { name: `tcp${suffix}`, next: (match) => tcp.next(match) },
        { name: `ws${suffix}`, next: (match) => ws.next(match) },
        { name: `sio${suffix}`, next: (match) => eventually(() => sio.messages.find(match), { timeoutMs: 5000, what: `chat on sio${suffix}` }) },
      );
    }
    const { token } = await sender.request(login('alice'), isLogin);
    // The token issued on node 1 is valid on node 2, and node 2 sees alice's live connection on node 1.
    const probe = await TcpClient.connect(n2().tcpPort);
    closers.push(() => probe.close());
    assert.deepEqual(await probe.request({ type: 'heartbeat', token }), { type: 'heartbeat', status: 'success' });

    assert.deepEqual(await sender.request({ type: 'chat', token, message: 'hello cluster' }), { type: 'chat', status: 'success' });
    const expected = { type: 'chat', user: 'alice', message: 'hello cluster', avatar: '/avatar/default/default_avatar.png' };
    for (const receiver of receivers) {
      assert.deepEqual(await receiver.next((m) => m.type === 'chat' && m.message === 'hello cluster'), expected, receiver.name);
    }
    assert.deepEqual(await sender.next((m) => m.message === 'hello cluster'), expected, 'the sender gets its own broadcast');
  });

  test('a captcha made on node 2 is checked on node 3; an SMS sent through node 1 is rate-limited on node 2', async () => {
    const captcha = async (node: NodeProcess, id: string) => {
      const res = await fetch(`${node.baseUrl}/api/v1.0/image_codes/${id}-0000-4b10`);
      assert.equal(res.status, 200);
      return res.headers.get('x-test-captcha-answer')!;
    };
    const sms = (node: NodeProcess, phone: string, id: string, answer: string) =>
      http(node.baseUrl, 'GET', `/api/v1.0/sms_codes/${phone}?image_code_id=${id}-0000-4b10&image_code_text=${answer}`);

    const a = await captcha(n2(), 'ca');
    assert.deepEqual((await sms(n3(), '13800000001', 'ca', a)).body, { errcode: '0', errmsg: '发送成功' });
    assert.deepEqual((await sms(n1(), '13800000009', 'ca', a)).body.errcode, '4002', 'the captcha was spent on node 3');

    const b = await captcha(n1(), 'cb');
    assert.deepEqual((await sms(n1(), '13800000002', 'cb', b)).body, { errcode: '0', errmsg: '发送成功' });
    const c = await captcha(n1(), 'cc');
    assert.deepEqual((await sms(n2(), '13800000002', 'cc', c)).body, { errcode: '4201', errmsg: '发送过于频繁' });
  });

  test('one alert, not three, when CPU is high; the evaluation runs on one node per tick', async () => {
    const watchers = await Promise.all(nodes.map((node) => SioClient.connect(node.baseUrl)));
    closers.push(...watchers.map((w) => () => w.socket.disconnect()));
    const evaluations = () => nodes.reduce((sum, node) => sum + node.logs('alert evaluation ran').length, 0);
    const startedAt = Date.now();
    const before = evaluations();
    for (const cpu of [95, 97]) {
      const res = await http(n1().baseUrl, 'POST', '/nfs/resource', { body: sampleBody('amf', cpu) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    await eventually(() => watchers.every((w) => w.alerts.length > 0), { timeoutMs: 3 * EVAL_S * 1000 + 2000, what: 'the alert on every node' });
    await sleep(3 * EVAL_S * 1000); // three more ticks: no node may announce it again
    for (const [i, watcher] of watchers.entries()) {
      assert.deepEqual(watcher.alerts.map((a) => [a.s_nf, a.state]), [['amf', 'firing']], `Socket.IO client on n${i + 1}`);
    }
    const history = await http(n2().baseUrl, 'GET', '/nfs/alerts?s_nf=amf');
    assert.deepEqual(history.body.data.map((r: { state: string }) => r.state), ['firing']);
    const ticks = (Date.now() - startedAt) / (EVAL_S * 1000);
    const ran = evaluations() - before;
    assert.ok(ran >= 2 && ran <= Math.ceil(ticks) + 1, `${ran} evaluations in ${ticks.toFixed(1)} ticks: once per tick, not once per node`);
  });

  test('a second login on another node is refused while the first is live and allowed once its node is killed', async () => {
    const res = await http(n1().baseUrl, 'POST', '/api/register', { body: { username: 'dora', password: PASSWORD } });
    assert.equal(res.status, 200);
    const first = await TcpClient.connect(n1().tcpPort);
    closers.push(() => first.close());
    assert.equal((await first.request({ type: 'login', username: 'dora', password: PASSWORD })).status, 'success');
    const second = await WsClient.connect(n2().wsUrl);
    closers.push(() => second.close());
    await sleep(LEASE_S * 1000 + 500); // longer than the lease: only refreshes keep it
    assert.deepEqual(await second.request({ type: 'login', username: 'dora', password: PASSWORD }), {
      type: 'login',
      status: 'error_-1',
      message: 'Account already logged in',
    });
    const httpLogin = await http(n3().baseUrl, 'POST', '/api/login', { body: { username: 'dora', password: PASSWORD } });
    assert.equal(httpLogin.status, 409);

    n1().kill();
    await n1().exited;
    const killedAt = Date.now();
    // One try every 500 ms: well inside the login rate limit (10 a minute per user and address).
    const statuses: string[] = [];
    const reply = await eventually(
      async () => {
        const r = await second.request({ type: 'login', username: 'dora', password: PASSWORD });
        statuses.push(r.status);
        return r.status === 'success' && r;
      },
      { timeoutMs: (LEASE_S + 2) * 1000, intervalMs: 500, what: 'the login after the kill' },
    ).catch((err) => assert.fail(`${err.message}; replies ${statuses}`));
    assert.equal(reply.username, 'dora');
    const waited = Date.now() - killedAt;
    assert.ok(waited <= (LEASE_S + 1) * 1000, `freed ${waited} ms after the kill (lease ${LEASE_S} s)`);
  });

  test('killing the node that runs the alert evaluation moves it to another node within 30 s', async () => {
    const alive = [n2(), n3()];
    const last = (node: NodeProcess) => node.logs('alert evaluation ran').at(-1)?.at ?? 0;
    await eventually(() => alive.some((n) => last(n) > Date.now() - 2 * EVAL_S * 1000), { timeoutMs: 3 * EVAL_S * 1000, what: 'a recent evaluation' });
    const runner = alive.reduce((a, b) => (last(a) >= last(b) ? a : b));
    const survivor = alive.find((n) => n !== runner)!;
    const watcher = await SioClient.connect(survivor.baseUrl);
    closers.push(() => watcher.socket.disconnect());

    runner.kill();
    await runner.exited;
    const killedAt = Date.now();
    for (const cpu of [96, 98]) {
      const res = await http(survivor.baseUrl, 'POST', '/nfs/resource', { body: sampleBody('smf', cpu) });
      assert.equal(res.status, 200);
    }
    const alert = await eventually(() => watcher.alerts.find((a) => a.s_nf === 'smf'), { timeoutMs: 30_000, what: `the smf alert from ${survivor.id}` });
    assert.equal(alert.state, 'firing');
    const tookMs = Date.now() - killedAt;
    assert.ok(tookMs < 30_000, `alert ${tookMs} ms after ${runner.id} was killed`);
    // The alert can arrive before the survivor's log line that reports the evaluation.
    await eventually(() => last(survivor) >= killedAt, { what: `${survivor.id} to log an evaluation after ${runner.id} died` });
    const history = await http(survivor.baseUrl, 'GET', '/nfs/alerts?s_nf=smf');
    assert.deepEqual(history.body.data.map((r: { state: string }) => r.state), ['firing']);
  });
});
