// The console's Google sign-in in a real browser: the sign-in page's button, the server's
// redirect to a local fake OpenID provider (real discovery, JWKS, signed ID tokens), its
// redirect back to the console's /oauth/google page, and the session that page starts.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startFakeOidcProvider, type FakeOidcProvider } from '../support/fake-oidc-provider.js';
import { browserSkip, copyBuiltConsole, launchBrowser, openPage } from '../support/browser.js';
import { freePort } from '../support/clients.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';

const skip = browserSkip();

describe('console Google sign-in', { skip }, () => {
  let db: TestDatabase;
  let server: TestServer;
  let provider: FakeOidcProvider;
  let browser: Browser;
  let consoleDir: string;

  before(async () => {
    db = await createTestDatabase('sqlite');
    provider = await startFakeOidcProvider();
    consoleDir = await copyBuiltConsole();
    // The server must know its own address for the redirect URI before it starts.
    const port = await freePort();
    server = await startTestServer(db, {
      env: {
        PORT: String(port),
        CONSOLE_DIR: consoleDir,
        GOOGLE_ISSUER: provider.issuer,
        GOOGLE_CLIENT_ID: provider.clientId,
        GOOGLE_CLIENT_SECRET: provider.clientSecret,
        // The console's return page, as the README tells operators to register it.
        GOOGLE_REDIRECT_URI: `http://127.0.0.1:${port}/oauth/google`,
      },
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await provider?.close();
    await db?.drop();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  it('signs a new Google user in through /oauth/google and returns to the page asked for', async () => {
    provider.account = { sub: 'sub-gina', email: 'Gina@Example.com', email_verified: true };
    const { page, context, errors } = await openPage(browser, server.baseUrl);
    await page.goto('/#/signin?next=%2Fstudy');
    await page.getByRole('link', { name: 'Sign in with Google' }).click();
    await page.getByRole('heading', { name: 'Study', exact: true, level: 1 }).waitFor();
    const session = await page.evaluate(() => JSON.parse(sessionStorage.getItem('stoa.session') ?? '{}'));
    assert.equal(session.name, 'gina');
    assert.equal(session.email, 'gina@example.com');
    assert.equal(provider.authorizeRequests.at(-1)?.get('redirect_uri'), `${server.baseUrl}/oauth/google`);
    assert.deepEqual(errors, []);
    await context.close();
  });

  it('shows the failure on the return page when the provider signs with the wrong key', async () => {
    provider.mode = 'bad_signature';
    try {
      const { page, context, errors } = await openPage(browser, server.baseUrl);
      await page.goto('/#/signin');
      await page.getByRole('link', { name: 'Sign in with Google' }).click();
      await page.getByRole('heading', { name: 'Sign in with Google' }).waitFor();
      await page.getByRole('alert').waitFor();
      assert.match(await page.getByRole('alert').innerText(), /\S/);
      await page.getByRole('link', { name: 'Back to sign in' }).click();
      await page.waitForURL(/#\/signin/);
      assert.deepEqual(errors.filter((e) => !/status of 400/.test(e)), []);
      await context.close();
    } finally {
      provider.mode = 'ok';
    }
  });
});
