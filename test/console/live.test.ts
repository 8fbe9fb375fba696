import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { registerAccount } from '../../src/core/users/accounts.js';
import { browserSkip, launchBrowser, openPage, screenshotBothSizes } from '../support/browser.js';
import { createTestDatabase, startTestServer, type TestDatabase, type TestServer } from '../support/stoa.js';

const skip = browserSkip();
const PASSWORD = 'live-pw-12';

describe('console: live streaming', { skip }, () => {
  let db: TestDatabase;
  let server: TestServer;
  let browser: Browser;

  async function signIn(page: Page, name: string, next: string): Promise<void> {
    await page.goto(`/#/signin?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL((url) => url.hash.startsWith(`#${next}`));
  }

  const stat = (page: Page, key: string) => page.locator(`[data-stat="${key}"]`);

  before(async () => {
    db = await createTestDatabase('sqlite');
    server = await startTestServer(db, { env: { SOCKET_PORT: '-1' } });
    for (const name of ['alice', 'bob']) await registerAccount(server.server.app, { username: name, password: PASSWORD });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await db?.drop();
  });

  it('a streamer goes live, a viewer watches, follows and gifts, the studio sees it live, and ending shows the summary', async () => {
    const streamer = await openPage(browser, server.baseUrl);
    const viewer = await openPage(browser, server.baseUrl);
    const studio = streamer.page;
    const watch = viewer.page;

    await signIn(studio, 'alice', '/live/studio');
    await studio.getByRole('heading', { name: 'Off air' }).waitFor();
    await studio.getByRole('button', { name: 'Go live' }).click();
    await studio.getByRole('heading', { name: 'alice is live' }).waitFor();
    const firstTick = await stat(studio, 'elapsed').innerText();
    await studio.waitForFunction((before) => document.querySelector('[data-stat="elapsed"]')?.textContent !== before, firstTick, { timeout: 5000 });

    // The viewer finds the stream in the list and by search.
    await signIn(watch, 'bob', '/live');
    await watch.getByRole('link', { name: /alice\s*LIVE/ }).waitFor();
    await watch.getByLabel('Streamer name').fill('ALI');
    await watch.getByLabel('Streamer name').press('Enter');
    await watch.getByRole('list', { name: 'Search results' }).getByRole('link', { name: 'alice' }).waitFor();
    await screenshotBothSizes(watch, 'console-live-list');
    await watch.getByRole('link', { name: /alice\s*LIVE/ }).click();
    await watch.getByRole('heading', { name: 'alice', exact: true }).waitFor();

    // The heartbeat counts the viewer, and the studio hears it over the hub.
    await stat(watch, 'viewers').filter({ hasText: /^1$/ }).waitFor();
    await stat(studio, 'viewers').filter({ hasText: /^1$/ }).waitFor();

    await watch.getByRole('button', { name: 'Follow alice' }).click();
    await watch.getByRole('button', { name: 'Following alice' }).waitFor();
    await watch.getByLabel('Gift amount').fill('0');
    await watch.getByLabel('Gift amount').press('Enter');
    await watch.getByText('Enter a whole number from 1 to 1000000000').waitFor();
    await watch.getByLabel('Gift amount').fill('25');
    await watch.getByLabel('Gift amount').press('Enter');
    await watch.getByText('You sent a gift of 25 to alice.').waitFor();
    await stat(watch, 'donations').filter({ hasText: /^25$/ }).waitFor();
    await stat(watch, 'followers').filter({ hasText: /^1$/ }).waitFor();
    await screenshotBothSizes(watch, 'console-live-viewer');

    // The studio's feed and totals, without a reload.
    const feed = studio.getByRole('log', { name: 'Gifts and follows' });
    await feed.getByText('bob sent a gift of 25').waitFor();
    await feed.getByText('bob started following').waitFor();
    await stat(studio, 'stream-donated').filter({ hasText: /^25$/ }).waitFor();
    await stat(studio, 'stream-followers').filter({ hasText: /^1$/ }).waitFor();
    await stat(studio, 'followers').filter({ hasText: /^1$/ }).waitFor();
    await screenshotBothSizes(studio, 'console-live-studio');

    await studio.getByRole('button', { name: 'End stream' }).click();
    const summary = studio.locator('.stream-summary');
    await summary.getByRole('heading', { name: 'Stream ended' }).waitFor();
    assert.equal(await summary.locator('[data-stat="donated"]').innerText(), '25');
    assert.equal(await summary.locator('[data-stat="new-followers"]').innerText(), '1');
    assert.equal(await summary.locator('[data-stat="peak"]').innerText(), '1');
    await studio.getByRole('heading', { name: 'Off air' }).waitFor();
    await screenshotBothSizes(studio, 'console-live-studio-ended');

    // The viewer's page learns the stream is over.
    await watch.getByText('alice is not live right now.').waitFor();

    assert.deepEqual(streamer.errors, []);
    assert.deepEqual(viewer.errors, []);
    await streamer.context.close();
    await viewer.context.close();
  });
});
