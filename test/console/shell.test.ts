import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { browserSkip, launchBrowser, openPage } from '../support/browser.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';

const skip = browserSkip();

describe('console shell', { skip }, () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  it('serves the console from / with a strict CSP and sends a signed-out visitor to sign in', async () => {
    const res = await fetch(`${server.baseUrl}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    const { page, context, errors } = await openPage(browser, server.baseUrl);
    await page.goto('/#/chat');
    await page.waitForURL(/#\/signin/);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('serves the sign-in provider switches and the real entry paths (activation link, OAuth returns)', async () => {
    const config = await fetch(`${server.baseUrl}/console/config.json`);
    assert.equal(config.status, 200);
    assert.deepEqual(await config.json(), { google: false, weibo: false });
    for (const entry of ['/activate', '/oauth/google', '/oauth/weibo']) {
      const res = await fetch(`${server.baseUrl}${entry}?code=x`);
      assert.equal(res.status, 200, entry);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      assert.match(await res.text(), /<div id="app">/);
    }
    const other = await fetch(`${server.baseUrl}/oauth/other`);
    assert.equal(other.status, 404);
  });

  it('shows the Google and Weibo buttons only when they are configured', async () => {
    const configured = await startTestServer(db, {
      env: {
        GOOGLE_CLIENT_ID: 'console-client',
        GOOGLE_CLIENT_SECRET: 'console-secret',
        GOOGLE_REDIRECT_URI: 'http://127.0.0.1:1/oauth/google',
        WEIBO_CLIENT_ID: 'weibo-client',
        WEIBO_CLIENT_SECRET: 'weibo-secret',
        WEIBO_REDIRECT_URI: 'http://127.0.0.1:1/oauth/weibo',
      },
    });
    try {
      assert.deepEqual(await (await fetch(`${configured.baseUrl}/console/config.json`)).json(), { google: true, weibo: true });
      const { page, context, errors } = await openPage(browser, configured.baseUrl);
      await page.goto('/#/signin');
      assert.equal(await page.getByRole('link', { name: 'Sign in with Google' }).getAttribute('href'), '/user/google-login');
      await page.getByRole('button', { name: 'Sign in with Weibo' }).waitFor();
      assert.deepEqual(errors, []);
      await context.close();
      const { page: plain, context: plainContext } = await openPage(browser, server.baseUrl);
      await plain.goto('/#/signin');
      await plain.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      assert.equal(await plain.getByText('Sign in with Google').count(), 0);
      await plainContext.close();
    } finally {
      await configured.stop();
    }
  });

  it('leaves the API paths and their 404s exactly as before', async () => {
    const res = await fetch(`${server.baseUrl}/no-such-page`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'not_found', message: 'No route for GET /no-such-page' });
  });
});
