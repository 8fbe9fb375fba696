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

  it('leaves the API paths and their 404s exactly as before', async () => {
    const res = await fetch(`${server.baseUrl}/no-such-page`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'not_found', message: 'No route for GET /no-such-page' });
  });
});
