import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { registerAccount } from '../../src/core/users/accounts.js';
import { browserSkip, launchBrowser, openPage } from '../support/browser.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';

const skip = browserSkip();
const NAME = 'corsalice';
const PASSWORD = 'cors-pw-12';
const MOBILE = '13800138000';

/**
 * The page another origin serves: `callEverySurface(api)` calls one route of each surface
 * (and Socket.IO's handshake) and reports, per call, the status and a piece of the body it
 * could read, or `blocked` when the browser refused to hand the answer to the script.
 * Plain JavaScript, sent as text.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Another origin</title></head>
<body><h1>Another origin</h1>
<script>
const json = (body) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const calls = (name, password, mobile) => ({
  chat: ['/api/register', json({ username: 'corsbob' + Math.floor(Math.random() * 1e6), password })],
  study: ['/api/v1.0/token', { headers: { Authorization: 'Basic ' + btoa(name + ':' + password) } }],
  ihomeCaptcha: ['/api/v1.0/image_codes/0b0c6a2e-4c1d-4f7e-9a55-3f3d7d8f4a10', {}],
  dadashop: ['/v1/users/activation?code=nothing', {}],
  monitor: ['/nfs/nodes', {}],
  live: ['/user/search', json({ s_name: name })],
  accounts: ['/user/login', json({ s_name: name, s_password: password })],
  ihomeLogin: ['/api/v1.0/sessions', { ...json({ mobile, password }), credentials: 'include' }],
  ihomeSession: ['/api/v1.0/session', { credentials: 'include' }],
  socketIo: ['/socket.io/?EIO=4&transport=polling', {}],
  monitorWithCookies: ['/nfs/nodes', { credentials: 'include' }],
});
window.callEverySurface = async (api, name, password, mobile) => {
  const results = {};
  // One after another: the session check needs the cookie the login set.
  for (const [surface, [path, init]] of Object.entries(calls(name, password, mobile))) {
    try {
      const res = await fetch(api + path, init);
      results[surface] = { status: res.status, type: res.headers.get('content-type'), body: (await res.text()).slice(0, 200) };
    } catch (err) {
      results[surface] = 'blocked';
    }
  }
  return results;
};
</script></body></html>`;

/** Serves PAGE on a fresh loopback port; resolves to the server and its origin. */
async function servePage(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

type CallResult = { status: number; type: string | null; body: string } | 'blocked';

describe('CORS from a page on another loopback origin', { skip }, () => {
  let db: TestDatabase;
  let stoa: TestServer;
  let browser: Browser;
  let allowed: { server: Server; origin: string };
  let stranger: { server: Server; origin: string };
  let userId: number;

  async function callFrom(origin: string): Promise<Record<string, CallResult>> {
    const { page, context } = await openPage(browser, origin);
    try {
      await page.goto('/');
      return (await page.evaluate(
        ([api, name, password, mobile]) =>
          (window as unknown as { callEverySurface: (...a: string[]) => Promise<unknown> }).callEverySurface(api, name, password, mobile),
        [stoa.baseUrl, NAME, PASSWORD, MOBILE],
      )) as Record<string, CallResult>;
    } finally {
      await context.close();
    }
  }

  before(async () => {
    allowed = await servePage();
    stranger = await servePage();
    db = await createTestDatabase('sqlite');
    stoa = await startTestServer(db, { env: { SOCKET_PORT: '-1', CORS_ORIGINS: allowed.origin } });
    userId = await registerAccount(stoa.server.app, { username: NAME, password: PASSWORD, phone: MOBILE });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await stoa?.stop();
    await db?.drop();
    for (const page of [allowed, stranger]) await new Promise((resolve) => page?.server.close(resolve));
  });

  it('reads the answer of every surface from an allowed origin, the iHome session cookie included', async () => {
    const results = await callFrom(allowed.origin);
    const read = (surface: string) => {
      const result = results[surface];
      assert.ok(result && result !== 'blocked', `${surface}: ${JSON.stringify(result)}`);
      assert.equal(result.status, 200, `${surface}: ${JSON.stringify(result)}`);
      return result;
    };
    assert.match(read('chat').body, /"type":"register_1"/);
    assert.match(read('study').body, /"token":"[0-9a-f]+"/);
    assert.equal(read('ihomeCaptcha').type, 'image/png');
    assert.match(read('dadashop').body, /"code":10118/);
    assert.deepEqual(JSON.parse(read('monitor').body), { nodes: [] });
    assert.match(read('live').body, new RegExp(`"s_name":"${NAME}"`));
    assert.match(read('accounts').body, /"access_token":"ey/);
    assert.deepEqual(JSON.parse(read('ihomeLogin').body).errcode, '0');
    assert.deepEqual(JSON.parse(read('ihomeSession').body), { errcode: '0', errmsg: 'true', data: { name: NAME, user_id: userId } });
    assert.match(read('socketIo').body, /^0\{"sid":/);
    // Credentials are allowed only where a cookie is used: a credentialed call elsewhere is refused.
    assert.equal(results.monitorWithCookies, 'blocked');
  });

  it('gets nothing from an origin that is not allowed: the browser blocks every call', async () => {
    const results = await callFrom(stranger.origin);
    assert.deepEqual(new Set(Object.values(results)), new Set(['blocked']), JSON.stringify(results));
  });
});
