import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../../../test/support/stoa.js';
import { loadConfig } from '../../config.js';
import { ConfigError } from '../config.js';

const ALLOWED = 'http://127.0.0.1:7000';
const OTHER = 'http://127.0.0.1:7001';

/** A preflight as a browser sends it before a cross-origin call with a JSON body or an Authorization header. */
function preflight(baseUrl: string, path: string, origin: string, method = 'POST'): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'content-type, authorization' },
  });
}

/** Every CORS response header present on `res`, by lower-case name. */
function corsHeaders(res: Response): Record<string, string> {
  return Object.fromEntries([...res.headers].filter(([name]) => name.startsWith('access-control-')));
}

describe('CORS_ORIGINS', () => {
  it('keeps each origin as a browser sends it and refuses anything that is not an origin', () => {
    const config = loadConfig({ CORS_ORIGINS: ' http://LocalHost:7000 , https://shop.example:443/, http://127.0.0.1:7000,http://localhost:7000' });
    assert.deepEqual(config.corsOrigins, ['http://localhost:7000', 'https://shop.example', 'http://127.0.0.1:7000']);
    assert.deepEqual(loadConfig({}).corsOrigins, []);
    assert.throws(
      () => loadConfig({ CORS_ORIGINS: '*, http://a.example/app, ftp://b.example, c.example, http://u:p@d.example, http://ok.example' }),
      (err: ConfigError) => {
        const bad = err.problems.filter((p) => p.startsWith('CORS_ORIGINS:'));
        assert.equal(bad.length, 5);
        for (const text of ['"*"', '"http://a.example/app"', '"ftp://b.example"', '"c.example"', '"http://u:p@d.example"']) {
          assert.ok(bad.some((p) => p.endsWith(text)), `${text} reported`);
        }
        return true;
      },
    );
  });
});

describe('CORS on every HTTP surface', () => {
  let db: TestDatabase;
  let server: TestServer;
  let plain: TestServer;

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db, { env: { SOCKET_PORT: '-1', CORS_ORIGINS: `${ALLOWED},http://localhost:7000` } });
    plain = await startTestServer(db, { env: { SOCKET_PORT: '-1' } });
  });
  after(async () => {
    await server?.stop();
    await plain?.stop();
    await db?.drop();
  });

  const preflightPaths = [
    ['chat', '/api/register', 'POST'],
    ['study', '/api/v1.0/token', 'GET'],
    ['ihome', '/api/v1.0/image_codes/0b0c6a2e-4c1d-4f7e-9a55-3f3d7d8f4a10', 'GET'],
    ['dadashop', '/v1/users', 'POST'],
    ['monitor', '/nfs/resource', 'POST'],
    ['live', '/user/search', 'POST'],
    ['accounts', '/user/login', 'POST'],
    ['monitor admin', '/nfs/alert-rules', 'PUT'],
  ] as const;

  for (const [surface, path, method] of preflightPaths) {
    it(`answers a ${surface} preflight from an allowed origin with 204 and the allowed methods and headers`, async () => {
      const res = await preflight(server.baseUrl, path, ALLOWED, method);
      assert.equal(res.status, 204);
      const headers = corsHeaders(res);
      assert.equal(headers['access-control-allow-origin'], ALLOWED);
      assert.match(headers['access-control-allow-methods']!, new RegExp(`\\b${method}\\b`));
      assert.match(headers['access-control-allow-headers']!, /Authorization/);
      assert.match(headers['access-control-allow-headers']!, /Content-Type/);
      assert.equal(headers['access-control-allow-credentials'], undefined);
      assert.match(res.headers.get('vary') ?? '', /Origin/);
    });
  }

  it('gives an origin that is not listed no CORS header, and its preflight the usual 404', async () => {
    const res = await preflight(server.baseUrl, '/api/register', OTHER);
    assert.equal(res.status, 404);
    assert.deepEqual(corsHeaders(res), {});
    const get = await fetch(`${server.baseUrl}/nfs/nodes`, { headers: { origin: OTHER } });
    assert.equal(get.status, 200);
    assert.deepEqual(corsHeaders(get), {});
    const sameHostOtherScheme = await preflight(server.baseUrl, '/api/register', 'https://127.0.0.1:7000');
    assert.deepEqual(corsHeaders(sameHostOtherScheme), {});
  });

  it('marks simple calls from an allowed origin, successes and errors alike, and exposes Retry-After and Location', async () => {
    const get = await fetch(`${server.baseUrl}/nfs/nodes`, { headers: { origin: 'http://localhost:7000' } });
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('access-control-allow-origin'), 'http://localhost:7000');
    assert.match(get.headers.get('access-control-expose-headers') ?? '', /Retry-After.*Location/);
    const post = await fetch(`${server.baseUrl}/user/login`, {
      method: 'POST',
      headers: { origin: ALLOWED, 'content-type': 'application/json' },
      body: JSON.stringify({ s_name: 'nobody', s_password: 'wrong-password' }),
    });
    assert.equal(post.status, 400);
    assert.equal(post.headers.get('access-control-allow-origin'), ALLOWED);
    assert.equal(post.headers.get('access-control-allow-credentials'), null);
    const missing = await fetch(`${server.baseUrl}/no/such/route`, { headers: { origin: ALLOWED } });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('access-control-allow-origin'), ALLOWED);
  });

  it('allows credentials only on the iHome session cookie routes', async () => {
    for (const [path, method] of [
      ['/api/v1.0/sessions', 'POST'],
      ['/api/v1.0/session', 'GET'],
      ['/api/v1.0/session', 'DELETE'],
      ['/api/v1.0/users', 'POST'],
    ] as const) {
      const res = await preflight(server.baseUrl, path, ALLOWED, method);
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get('access-control-allow-credentials'), 'true', path);
      assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED, path);
    }
    const session = await fetch(`${server.baseUrl}/api/v1.0/session`, { headers: { origin: ALLOWED } });
    assert.equal(session.headers.get('access-control-allow-credentials'), 'true');
    for (const path of ['/api/v1.0/users/1', '/api/v1.0/token', '/api/login', '/user/login']) {
      const res = await preflight(server.baseUrl, path, ALLOWED, 'GET');
      assert.equal(res.headers.get('access-control-allow-credentials'), null, path);
    }
  });

  it('sends no CORS header at all when CORS_ORIGINS is empty, and a preflight stays a 404', async () => {
    const res = await preflight(plain.baseUrl, '/api/register', ALLOWED);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'not_found', message: 'No route for OPTIONS /api/register' });
    assert.deepEqual(corsHeaders(res), {});
    const get = await fetch(`${plain.baseUrl}/nfs/nodes`, { headers: { origin: ALLOWED } });
    assert.equal(get.status, 200);
    assert.deepEqual(corsHeaders(get), {});
  });
});
