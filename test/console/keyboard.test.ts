import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { findUserByUsername, updateAccessLevel } from '../../src/core/users/user-repo.js';
import { accessibilityProblems, browserSkip, copyBuiltConsole, launchBrowser, openPage, VIEWPORTS } from '../support/browser.js';
import { http } from '../support/clients.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';

const skip = browserSkip();

/** Every page a signed-in admin can open, with the heading that says it has loaded. */
const PAGES: Array<{ path: string; heading: string | RegExp }> = [
  { path: '/', heading: 'Hello, keys' },
  { path: '/chat', heading: 'Chat' },
  { path: '/monitor', heading: 'Monitor' },
  { path: '/live', heading: /Live/ },
  { path: '/live/studio', heading: 'Your studio' },
  { path: '/study', heading: 'Study' },
  { path: '/admin', heading: 'Admin' },
];

/** Presses Tab (or Shift+Tab) until `name` has focus (or gives up), the way a keyboard user gets there. */
async function tabTo(page: Page, name: string, key: 'Tab' | 'Shift+Tab' = 'Tab', limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press(key);
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el ? (el.getAttribute('aria-label') ?? el.textContent ?? '').trim() : '';
    });
    if (focused === name) return;
  }
  assert.fail(`Tab never reached "${name}"`);
}

describe('console by keyboard, at phone and desktop sizes', { skip }, () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;
  let consoleDir: string;

  before(async () => {
    db = await createTestDatabase('sqlite');
    consoleDir = await copyBuiltConsole();
    server = await startTestServer(db, { env: { CONSOLE_DIR: consoleDir } });
    const body = { s_name: 'keys', s_email: 'keys@example.com', s_phone: '13900000099', s_password: 'pw-keys-1', s_password_confirmation: 'pw-keys-1' };
    assert.equal((await http(server.baseUrl, 'POST', '/user/signup', { body })).status, 200);
    await updateAccessLevel(server.server.app.db, (await findUserByUsername(server.server.app.db, 'keys'))!.id, 9);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
    if (consoleDir) rmSync(consoleDir, { recursive: true, force: true });
  });

  for (const size of VIEWPORTS) {
    it(`signs in and moves between pages without a mouse; every page passes the label checks (${size.width}x${size.height})`, async () => {
      const { page, context, errors } = await openPage(browser, server.baseUrl, size);
      await page.goto('/#/signin');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      assert.deepEqual(await accessibilityProblems(page), [], 'sign-in page');
      await page.getByLabel('Name').focus();
      await page.keyboard.type('keys');
      await page.keyboard.press('Tab');
      await page.keyboard.type('pw-keys-1');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Hello, keys' }).waitFor();
      // A new page puts focus at its content, as a page load would.
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'content');

      // From the content, back up to the main navigation and open Study.
      await tabTo(page, 'Study', 'Shift+Tab');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Study', exact: true }).waitFor();
      assert.equal(await page.title(), 'Study · Stoa');

      // On a fresh load the skip link is the first stop and jumps to the content.
      await page.reload();
      await page.getByRole('heading', { name: 'Study', exact: true }).waitFor();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), 'Skip to content');
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'content');
      assert.match(page.url(), /#\/study$/, 'the skip link leaves the route alone');
      await page.keyboard.press('Tab');
      assert.ok(await page.evaluate(() => document.getElementById('content')!.contains(document.activeElement)), 'Tab after the skip link lands in the content');

      for (const { path, heading } of PAGES) {
        await page.goto(`/#${path}`);
        await page.getByRole('heading', { name: heading, exact: typeof heading === 'string' }).first().waitFor();
        await page.waitForLoadState('networkidle');
        assert.deepEqual(await accessibilityProblems(page), [], `page ${path}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `page ${path} scrolls sideways by ${overflow}px at ${size.width}px`);
      }
      assert.deepEqual(errors, []);
      await context.close();
    });
  }
});
