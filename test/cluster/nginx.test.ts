// Three real Stoa nodes (PostgreSQL + Redis) behind a real nginx running the repo's own
// deploy/nginx/stoa.conf and stoa-stream.conf: HTTP, /ws, Socket.IO long-polling
// (stickiness) and the raw TCP chat port all go through nginx. docs/cluster.md.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { freePort, TcpClient, WsClient, http } from '../support/clients.js';
import { createPostgresSchema, servicesRequired, testPostgresUrl, testRedisUrl, uniqueRedisPrefix } from '../support/services.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
const CONF_DIR = path.join(ROOT, 'deploy/nginx');
/** The example node addresses in the committed config; the test swaps in the real ports. */
const EXAMPLE_NODES = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];

/** Why the suite cannot run here, or false. Under CI=true a missing nginx fails instead. */
function nginxSkipReason(): string | false {
  let reason: string | false = false;
  if (!existsSync(NGINX)) reason = `${NGINX} not installed (apt-get install nginx-light libnginx-mod-stream)`;
  else if (!streamModule().available) reason = 'nginx has no stream module (apt-get install libnginx-mod-stream)';
  if (reason && servicesRequired) throw new Error(`nginx is required when CI=true: ${reason}`);
  return reason;
}

/** Whether nginx has the stream module, and the load_module line it needs when it is dynamic. */
function streamModule(): { available: boolean; loadLine: string } {
  const built = spawnSync(NGINX, ['-V'], { encoding: 'utf8' });
  const flags = `${built.stdout}${built.stderr}`;
  if (/--with-stream(\s|$)/.test(flags)) return { available: true, loadLine: '' };
  if (!flags.includes('--with-stream=dynamic')) return { available: false, loadLine: '' };
  const modulesPath = /--modules-path=(\S+)/.exec(flags)?.[1] ?? '/usr/lib/nginx/modules';
  const file = path.join(modulesPath, 'ngx_stream_module.so');
  return { available: existsSync(file), loadLine: `load_module ${file};` };
}

/** Replaces every `from` in `text`, insisting it occurs exactly `times` times (so a changed config fails loudly). */
function substitute(text: string, from: string, to: string, times: number, file: string): string {
  const found = text.split(from).length - 1;
  assert.equal(found, times, `${file}: expected "${from}" ${times} time(s), found ${found}`);
  return text.split(from).join(to);
}

interface Node {
  id: string;
  child: ChildProcess;
  httpPort: number;
  tcpPort: number;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `stoa serve` as a child and waits for both "listening" lines. */
function startNode(id: string, env: Record<string, string>): Promise<Node> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, ...env, NODE_ID: id },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${id} did not start within 30 s:\n${out}`)), 30_000);
    let httpPort = 0;
    let tcpPort = 0;
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      httpPort ||= Number(/http listening on http:\/\/[^\s]+:(\d+)/.exec(out)?.[1] ?? 0);
      tcpPort ||= Number(/tcp chat listening on [^\s]+:(\d+)/.exec(out)?.[1] ?? 0);
      if (httpPort && tcpPort) {
        clearTimeout(timer);
        resolve({ id, child, httpPort, tcpPort, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`node ${id} exited with ${code} before listening:\n${out}`));
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Renders the committed config files for these nodes into `dir` and writes a non-root nginx.conf including them. */
function renderNginx(dir: string, nodes: Node[], httpPort: number, tcpPort: number): void {
  let site = readFileSync(path.join(CONF_DIR, 'stoa.conf'), 'utf8');
  let stream = readFileSync(path.join(CONF_DIR, 'stoa-stream.conf'), 'utf8');
  nodes.forEach((node, i) => {
    site = substitute(site, `${EXAMPLE_NODES[i]}:5000`, `127.0.0.1:${node.httpPort}`, 2, 'stoa.conf');
    stream = substitute(stream, `${EXAMPLE_NODES[i]}:8889`, `127.0.0.1:${node.tcpPort}`, 1, 'stoa-stream.conf');
  });
  site = substitute(site, 'listen 80;', `listen 127.0.0.1:${httpPort};`, 1, 'stoa.conf');
  site = substitute(site, '/var/log/nginx/', `${dir}/logs/`, 1, 'stoa.conf');
  stream = substitute(stream, 'listen 8889;', `listen 127.0.0.1:${tcpPort};`, 1, 'stoa-stream.conf');
  writeFileSync(path.join(dir, 'stoa.conf'), site);
  writeFileSync(path.join(dir, 'stoa-stream.conf'), stream);
  mkdirSync(path.join(dir, 'logs'));
  // As root nginx drops its workers to an unprivileged user; Debian has no group "nobody".
  const group = readFileSync('/etc/group', 'utf8').includes('\nnogroup:') ? 'nogroup' : 'nobody';
  const main = [
    streamModule().loadLine,
    process.getuid?.() === 0 ? `user nobody ${group};` : '',
    'worker_processes 1;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/logs/error.log warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `    access_log ${dir}/logs/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${dir}/${t}_temp;`),
    '    include stoa.conf;',
    '}',
    'include stoa-stream.conf;',
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'nginx.conf'), main);
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const skip = nginxSkipReason();
const pgUrl = skip ? null : await testPostgresUrl();
const redisUrl = skip ? null : await testRedisUrl();
const reason = skip || (!pgUrl && 'PostgreSQL not reachable') || (!redisUrl && 'Redis not reachable');

describe('cluster: three nodes behind nginx (deploy/nginx)', { skip: reason }, () => {
  const nodes: Node[] = [];
  let dir = '';
  let nginx: { child: ChildProcess; exited: Promise<number | null>; output: () => string } | undefined;
  let dropSchema: (() => Promise<void>) | undefined;
  let redisPrefix = '';
  let base = '';
  let streamPort = 0;
  const clients: Array<{ close(): void }> = [];
  const sockets: Socket[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'stoa-cluster-'));
    chmodSync(dir, 0o755); // nginx workers (an unprivileged user under root) write temp files here
    const schema = await createPostgresSchema(pgUrl!);
    dropSchema = schema.drop;
    redisPrefix = uniqueRedisPrefix();
    const env = {
      HOST: '127.0.0.1',
      PORT: '0',
      SOCKET_PORT: '0',
      // stoa-stream.conf sends a PROXY header on every chat connection.
      SOCKET_PROXY_PROTOCOL: 'true',
      DATABASE_URL: schema.url,
      REDIS_URL: redisUrl!,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: 'cluster-test-secret-0123456789abcdefghij',
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'warn',
      ARGON2_MEMORY_KIB: '1024',
      ARGON2_TIME_COST: '1',
      NODE_ENV: 'test',
    };
    const started = await Promise.allSettled(
      ['n1', 'n2', 'n3'].map((id) => {
        const dataDir = path.join(dir, `data-${id}`);
        mkdirSync(dataDir);
        return startNode(id, { ...env, DATA_DIR: dataDir });
      }),
    );
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;

    const httpPort = await freePort();
    streamPort = await freePort();
    renderNginx(dir, nodes, httpPort, streamPort);
    const args = ['-p', `${dir}/`, '-e', `${dir}/logs/error.log`, '-c', `${dir}/nginx.conf`];
    const check = spawnSync(NGINX, [...args, '-t'], { encoding: 'utf8' });
    assert.equal(check.status, 0, `nginx -t rejected the rendered config:\n${check.stderr}${check.stdout}`);

    const child = spawn(NGINX, [...args, '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    nginx = { child, exited: new Promise((resolve) => child.once('exit', resolve)), output: () => out };
    base = `http://127.0.0.1:${httpPort}`;
    for (let i = 0; ; i++) {
      const up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (up) break;
      if (i >= 50 || nginx.child.exitCode !== null) {
        const log = readFileSync(path.join(dir, 'logs/error.log'), 'utf8');
        throw new Error(`nginx did not come up:\n${out}\n${log}`);
      }
      await sleep(100);
    }
  });

  after(async () => {
    for (const socket of sockets) socket.disconnect();
    for (const client of clients) client.close();
    if (nginx) await stopChild(nginx.child, nginx.exited);
    await Promise.all(nodes.map((n) => stopChild(n.child, n.exited)));
    await dropSchema?.().catch(() => {});
    if (redisUrl && redisPrefix) {
      const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${redisPrefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } catch {
        // best effort
      } finally {
        redis.disconnect();
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every node is ready and HTTP requests are spread over all three', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const res = await http(base, 'GET', '/readyz');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.status, 'ready');
      seen.add(res.body.node);
    }
    assert.deepEqual([...seen].sort(), ['n1', 'n2', 'n3']);
  });

  let token = '';
  test('register and log in over HTTP through nginx', async () => {
    for (const username of ['alice', 'bob', 'carol', 'dave']) {
      const reg = await http(base, 'POST', '/api/register', { body: { username, password: 'correct horse' } });
      assert.deepEqual(reg.body, { type: 'register_1', error: false, message: 'User registered successfully' });
    }
    const login = await http(base, 'POST', '/api/login', { body: { username: 'alice', password: 'correct horse' } });
    assert.equal(login.body.status, 'success', JSON.stringify(login.body));
    token = login.body.token;
  });

  test('bodies: over 1 MiB get a JSON 413 from nginx, under it reach a node, avatars up to 2 MiB pass', async () => {
    const headers = { 'content-type': 'application/json', authorization: token };
    const big = await http(base, 'POST', '/api/chat', { rawBody: JSON.stringify({ message: 'x'.repeat(1_100_000) }), headers });
    assert.equal(big.status, 413);
    assert.deepEqual(big.body, { error: 'payload_too_large', message: 'Request body is too large' });
    const under = await http(base, 'POST', '/api/chat', { rawBody: JSON.stringify({ message: 'x'.repeat(1_000_000) }), headers });
    assert.notEqual(under.status, 413, 'a body within BODY_LIMIT_BYTES must reach the node');
    assert.equal(under.body.type, 'chat', `the node's own error shape: ${JSON.stringify(under.body).slice(0, 200)}`);

    const upload = async (bytes: number) => {
      const png = Buffer.alloc(bytes);
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(png);
      const form = new FormData();
      form.append('file', new Blob([png], { type: 'image/png' }), 'me.png');
      const res = await fetch(`${base}/api/avatar`, { method: 'POST', headers: { authorization: token }, body: form });
      return { status: res.status, text: await res.text() };
    };
    const fits = await upload(2 * 1024 * 1024 - 64);
    assert.equal(fits.status, 200, fits.text.slice(0, 300));
    const over = await upload(2 * 1024 * 1024 + 64);
    assert.equal(over.status, 413, 'an avatar over 2 MiB passes nginx and is refused by the node');
    assert.equal(JSON.parse(over.text).type, 'avatar', over.text);
  });

  test('/ws and the TCP stream port log in and receive chat posted over HTTP on any node', async () => {
    const ws = await WsClient.connect(`${base.replace('http', 'ws')}/ws`);
    clients.push(ws);
    const wsLogin = await ws.request({ type: 'login', username: 'bob', password: 'correct horse' });
    assert.equal(wsLogin.status, 'success', JSON.stringify(wsLogin));

    const tcp = await TcpClient.connect(streamPort);
    clients.push(tcp);
    const tcpLogin = await tcp.request({ type: 'login', username: 'carol', password: 'correct horse' });
    assert.equal(tcpLogin.type, 'login');
    assert.equal(tcpLogin.status, 'success', JSON.stringify(tcpLogin));
    assert.equal(tcpLogin.username, 'carol');

    // Through nginx, then straight to each node: every broadcast reaches both clients,
    // whichever node they and the poster are on.
    const targets = [base, ...nodes.map((n) => `http://127.0.0.1:${n.httpPort}`)];
    for (const [i, target] of targets.entries()) {
      const res = await http(target, 'POST', '/api/chat', { body: { message: `hello ${i}` }, headers: { authorization: token } });
      assert.deepEqual(res.body, { type: 'chat', status: 'success' });
    }
    for (const client of [ws, tcp]) {
      for (let i = 0; i < targets.length; i++) {
        const msg = await client.next((m) => m.type === 'chat' && m.message === `hello ${i}`);
        assert.equal(msg.user, 'alice');
      }
    }
    const beat = await tcp.request({ type: 'heartbeat', token: tcpLogin.token });
    assert.deepEqual(beat, { type: 'heartbeat', status: 'success' });
  });

  test('a long-polling Socket.IO client stays on one node across many requests', async () => {
    const socket = io(base, { transports: ['polling'], reconnection: false, forceNew: true });
    sockets.push(socket);
    let disconnects = 0;
    socket.on('disconnect', () => disconnects++);
    await connected(socket);
    const sid = socket.io.engine.id;
    assert.equal(socket.io.engine.transport.name, 'polling');
    for (let i = 0; i < 6; i++) {
      socket.emit('ping-from-test', i); // one POST each, carrying the session id
      await sleep(150);
    }
    assert.equal(socket.connected, true);
    assert.equal(socket.io.engine.id, sid, 'the session was never re-created');
    socket.disconnect(); // the close packet is one more POST, and ends the held GET
    await sleep(300);
    assert.equal(disconnects, 1);

    const lines = readFileSync(path.join(dir, 'logs/stoa.access.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes(`sid=${sid}`));
    assert.ok(lines.length >= 8, `expected at least 8 polling requests for ${sid}, got:\n${lines.join('\n')}`);
    for (const line of lines) assert.match(line, /" 200 /, line);
    const upstreams = new Set(lines.map((l) => /upstream=(\S+)/.exec(l)?.[1]));
    assert.equal(upstreams.size, 1, `requests of one session went to several nodes:\n${lines.join('\n')}`);
  });

  test('SIGTERM drains one node; nginx keeps serving from the other two', async () => {
    const n3 = nodes[2]!;
    n3.child.kill('SIGTERM');
    assert.equal(await n3.exited, 0, n3.output());
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const res = await http(base, 'GET', '/healthz');
      assert.equal(res.status, 200);
      seen.add(res.body.node);
    }
    assert.ok(!seen.has('n3'), `a stopped node answered: ${[...seen]}`);
    const tcp = await TcpClient.connect(streamPort);
    clients.push(tcp);
    const login = await tcp.request({ type: 'login', username: 'dave', password: 'correct horse' });
    assert.equal(login.status, 'success', JSON.stringify(login));
  });
});
